"""Two runs of one config started in the same second of one process (mmengine names its logger,
message hub and visualizer after config + start second) each log into their own folder."""
from __future__ import annotations

import logging
import time
import types

from tests.reliability.tiny import tiny_cfg
from wsseg.datasets.synthetic import make_scenes
from wsseg.registry import RUNNERS


def test_same_second_runs_get_their_own_logger_hub_and_visualizer(tmp_path, monkeypatch):
    make_scenes(tmp_path / 'data', splits={'train': 2, 'val': 1}, size=(32, 32), seed=0)
    frozen = types.SimpleNamespace(time=lambda: 1.8e9, strftime=time.strftime, localtime=time.localtime)
    monkeypatch.setattr('mmengine.runner.runner.time', frozen)    # both runs start "at once"
    first, second = (RUNNERS.build(tiny_cfg(tmp_path / 'data', tmp_path / name, iters=1))
                     for name in ('a', 'b'))
    assert first.experiment_name == second.experiment_name
    assert second.logger is not first.logger and second.message_hub is not first.message_hub
    assert second.visualizer is not first.visualizer
    files = [h.baseFilename for h in second.logger.handlers if isinstance(h, logging.FileHandler)]
    assert files and all(f.startswith(str(tmp_path / 'b')) for f in files), files
    saved = second.visualizer._vis_backends['LocalVisBackend']._save_dir
    assert saved.startswith(str(tmp_path / 'b')), saved
