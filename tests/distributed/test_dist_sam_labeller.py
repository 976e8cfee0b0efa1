"""SAM logic pseudo-labelling on 2 gloo CPU ranks: the ranks share the embedding work, rank 0
fine-tunes the one decoder, the other rank waits for it, and the masks equal one process's."""
from __future__ import annotations

import json
from pathlib import Path

from mmengine.config import Config

from tests.reliability.tiny import dump, free_port, run_tool
from tools.pseudo_label import main as pseudo_label_main

REPO = Path(__file__).resolve().parents[2]


def test_two_ranks_share_one_decoder_and_match_one_process(tmp_path):
    cfg = Config.fromfile(str(REPO / 'configs/sam_logic/synthetic_small_sam.py'))   # makes its scenes
    data = tmp_path / 'data'
    from wsseg.datasets.synthetic import make_scenes
    make_scenes(data, splits={'train': 5}, size=(64, 64), seed=0, classes=cfg.classes)
    cfg.pseudo_dataset.data_root = str(data)
    cfg.pseudo_labeller.update(finetune_epochs=2, loss_size=64)
    path = dump(cfg, tmp_path / 'cfg.py')
    run_tool(['tools/dist_pseudo_label.sh', str(path), '2', '--out', str(tmp_path / 'two')],
             PORT=str(free_port()))
    pseudo_label_main([str(path), '--out', str(tmp_path / 'one')])
    report = json.loads((tmp_path / 'two' / 'pseudo_label_report.json').read_text())
    assert report['world_size'] == 2 and report['labelled'] == 5
    assert report['decoder'] == 'finetuned'                       # rank 0's own fine-tune
    one = sorted((tmp_path / 'one').glob('*.png'))
    assert len(one) == 5
    for p in one:
        assert (tmp_path / 'two' / p.name).read_bytes() == p.read_bytes(), p.name
