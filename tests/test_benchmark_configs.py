"""Every row config of the CamVid benchmark matrices builds, loads real CamVid samples through
its own train pipeline, and takes one finite training step: a broken row fails here, not an
hour into a benchmark run."""
from __future__ import annotations

import inspect
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate

from wsseg.registry import (DATASETS, HOOKS, METRICS, MODELS, PSEUDO_LABELLERS, TRANSFORMS,
                            WEAK_LABELS)

REPO = Path(__file__).resolve().parents[1]
MATRICES = {m.name: Config.fromfile(str(m)) for m in sorted((REPO / 'configs/benchmarks').glob('*.py'))}
ROWS = sorted({r['config'] for name, m in MATRICES.items() if name.startswith('camvid') for r in m.rows})


def use_random_trunk(cfg: Config, folder: Path) -> None:
    """SSL rows load ``cfg.trunk`` (written by tools/pretrain_ssl.py, not in the repository):
    point them at a random trunk file of the same architecture, so the loading is exercised."""
    from wsseg.models.resnet_trunk import ResNetTrunk, save_trunk
    path = str(save_trunk(folder / 'trunk.pth', ResNetTrunk(18).state_dict(), dict(arch='resnet18')))
    net = cfg.model.get('net', cfg.model)
    assert net.pretrained == cfg.trunk
    net.pretrained = path


@pytest.mark.parametrize('config', ROWS)
def test_row_config_takes_a_training_step(config, shared_data, tmp_path):
    cfg = Config.fromfile(str(REPO / config))
    if cfg.get('trunk'):
        use_random_trunk(cfg, tmp_path)
    ds_cfg = cfg.train_dataloader.dataset
    ds_cfg.data_root = str(shared_data / 'camvid') if ds_cfg.get('data_root') else ds_cfg.data_root
    if not ds_cfg.get('data_root'):          # the CAM second stage reads seeds from a work dir
        pytest.skip(f'{config} trains on pseudo-masks written by an earlier row')
    ds_cfg.indices = 2
    ds = DATASETS.build(ds_cfg)
    batch = pseudo_collate([ds[0], ds[1]])
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).train()
    losses = model(**model.data_preprocessor(batch, training=True), mode='loss')
    total = sum(v for k, v in losses.items() if k.startswith('loss'))
    assert torch.isfinite(total), (config, losses)
    total.backward()
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    assert grads and all(torch.isfinite(g).all() for g in grads)


def overrides(row: dict) -> list[str]:
    """The ``key.path`` of every ``--cfg-options key=value`` in a row's ``extra_args``."""
    args = row.get('extra_args', [])
    if '--cfg-options' not in args:
        return []
    return [a.split('=', 1)[0] for a in args[args.index('--cfg-options') + 1:] if '=' in a]


OVERRIDDEN = [(r['config'], key) for m in MATRICES.values() for r in m.rows for key in overrides(r)]


def takes(type_name: str, arg: str) -> bool:
    """Whether the registered class ``type_name`` (any wsseg registry) has an argument ``arg``."""
    for registry in (MODELS, METRICS, DATASETS, TRANSFORMS, HOOKS, WEAK_LABELS, PSEUDO_LABELLERS):
        if (cls := registry.get(type_name)) is not None:
            return arg in inspect.signature(cls).parameters
    raise AssertionError(f'{type_name} is in no wsseg registry')


@pytest.mark.parametrize('config,key', OVERRIDDEN)
def test_row_override_names_a_real_key(config, key):
    """mmengine adds an unknown key silently, so a typo in a row's override would train the
    row's base config under another name. Each override must name a key of the config, or a
    new argument that the enclosing ``type`` takes (e.g. an evaluator's ``sam``)."""
    node = Config.fromfile(str(REPO / config))
    for part in key.split('.'):
        if isinstance(node, (list, tuple)):
            assert part.isdigit() and int(part) < len(node), f'{config}: {key}: no item {part}'
            node = node[int(part)]
        elif part in node:
            node = node[part]
        else:
            assert 'type' in node and takes(node['type'], part), f'{config}: {key}: no key {part!r}'
            return
