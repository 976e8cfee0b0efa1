"""DDP training through tools/dist_train.sh: 2 CPU ranks on gloo with batch B/2 each against
1 process with batch B.

mmengine's InfiniteSampler (same seed) gives rank r the indices ``[r::2]`` of the one-process
order, so every iteration sees the same images in both set-ups. With GroupNorm (no batch
statistics), no random augmentation and a loss that is a mean over equally many pixels per
image, DDP's gradient average equals the one-process gradient: the weights must agree to
float rounding, and the two ranks must hold identical weights.
"""
from __future__ import annotations

import pytest
import torch

from tests.reliability.tiny import dump, free_port, run_tool, tiny_cfg
from tools.train import main as train_main
from wsseg.datasets.synthetic import make_scenes

ITERS, BATCH = 6, 4


@pytest.fixture(scope='module')
def runs(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp('ddp')
    make_scenes(root / 'data', splits={'train': 12, 'val': 2}, size=(32, 32), seed=11)
    cfg = tiny_cfg(root / 'data', root / 'w', iters=ITERS, batch=BATCH, ckpt_every=ITERS, norm='GN')
    cfg.custom_imports.imports.append('tests.distributed.rank_dump')
    cfg.custom_hooks.append(dict(type='DumpRankStateHook'))
    cfg.train_cfg.val_interval = ITERS + 1          # no validation: training only
    path = dump(cfg, root / 'cfg.py')
    two = run_tool(['tools/dist_train.sh', str(path), '2', '--work-dir', str(root / 'two'),
                    '--cfg-options', f'train_dataloader.batch_size={BATCH // 2}'],
                   PORT=str(free_port()))
    train_main([str(path), '--work-dir', str(root / 'one')])   # one process, in this one
    load = lambda p: torch.load(p, map_location='cpu', weights_only=True)  # noqa: E731
    return dict(one=load(root / 'one' / 'rank0.pt'), r0=load(root / 'two' / 'rank0.pt'),
                r1=load(root / 'two' / 'rank1.pt'), log=two.stdout + two.stderr,
                ckpt=load(root / 'two' / f'iter_{ITERS}.pth'))


def test_ranks_ran_on_gloo_with_half_batches(runs):
    assert runs['r0']['world_size'] == runs['r1']['world_size'] == 2
    assert runs['one']['world_size'] == 1
    assert 'using the gloo backend instead of nccl' in runs['log'] or torch.cuda.is_available()
    assert all(len(f) == BATCH // 2 for f in runs['r0']['files'] + runs['r1']['files'])


def test_every_iteration_sees_the_same_images(runs):
    assert len(runs['one']['files']) == ITERS
    for it, files in enumerate(runs['one']['files']):
        assert sorted(runs['r0']['files'][it] + runs['r1']['files'][it]) == sorted(files), it


def test_losses_and_weights_match_one_process(runs):
    one = torch.tensor(runs['one']['losses'])
    two = (torch.tensor(runs['r0']['losses']) + torch.tensor(runs['r1']['losses'])) / 2
    torch.testing.assert_close(two, one, rtol=1e-4, atol=1e-5)
    assert one[-1] < one[0]                  # it trained
    for k, v in runs['one']['state'].items():
        torch.testing.assert_close(runs['r0']['state'][k], v, rtol=1e-3, atol=1e-5, msg=k)


def test_both_ranks_end_with_identical_weights(runs):
    for k, v in runs['r0']['state'].items():
        assert torch.equal(v, runs['r1']['state'][k]), k
        assert torch.equal(v, runs['ckpt']['state_dict'][k]), k     # rank 0 saved them
