"""Patch grids on non-divisible frames, the classifier's shapes, and SimCLR trunk loading.
(Bad grids and SimCLR key mismatches: tests/reliability/test_bad_inputs.py.)"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from wsseg.patch import PatchClassifier, patch_map_to_pixels, split_patches
from wsseg.patch.grid import patch_majority_any
from wsseg.patch.simclr import SimCLRNet, save_simclr_checkpoint


def test_array_split_policy_on_non_divisible_frame():
    img = np.arange(131 * 233).reshape(131, 233)
    patches = split_patches(img, (5, 8))
    assert len(patches) == 40
    assert [p.shape[0] for p in patches[::8]] == [27, 26, 26, 26, 26]       # first H % 5 rows taller
    assert [p.shape[1] for p in patches[:8]] == [30] + [29] * 7
    assert sum(p.size for p in patches) == img.size
    assert np.array_equal(np.concatenate([p.ravel() for p in patches[:1]]), img[:27, :30].ravel())


def test_patch_map_to_pixels_and_majority_roundtrip():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 4, (5, 9))
    pix = patch_map_to_pixels(labels, (103, 211))
    assert pix.shape == (103, 211)
    assert np.array_equal(patch_majority_any(pix, (5, 9), 4), labels)


@pytest.mark.parametrize('grid,size', [((5, 8), (131, 233)), ((5, 9), (97, 150)), ((2, 3), (64, 64))])
def test_classifier_shapes_on_any_frame(grid, size):
    torch.manual_seed(0)
    model = PatchClassifier(num_classes=4, grid=grid, label_source='image').eval()
    x = torch.randn(2, 3, *size)
    with torch.no_grad():
        logits = model(x)
        feats = model.features(x)
    assert logits.shape == (2, 4, *grid)
    assert feats.shape == (2, 512, *grid)
    assert torch.isfinite(logits).all()


def test_loss_is_ce_on_logits_with_weights():
    torch.manual_seed(0)
    model = PatchClassifier(num_classes=3, grid=(2, 2), label_source='truth', class_weights=[1.0, 2.0, 0.5])
    from wsseg.patch.data import PatchSample
    target = torch.tensor([[0, 1], [2, 255]])
    samples = [PatchSample('a.jpg', 'a', (64, 64), image_label=0, gt_label=target)]
    logits = torch.randn(1, 3, 2, 2)
    feats = torch.randn(1, 512, 2, 2)
    got = model.loss(logits, feats, samples)['loss_ce']
    w = torch.tensor([1.0, 2.0, 0.5])
    lp = logits.log_softmax(1)[0]
    terms = [(-lp[0, 0, 0] * w[0]), (-lp[1, 0, 1] * w[1]), (-lp[2, 1, 0] * w[2])]
    assert torch.allclose(got, sum(terms) / (w[0] + w[1] + w[2]), atol=1e-6)


def test_simclr_checkpoint_loads_into_seafeats(tmp_path):
    torch.manual_seed(1)
    net = SimCLRNet()
    path = save_simclr_checkpoint(net, tmp_path / 'simclr.pth', {'epochs': 1})
    model = PatchClassifier(num_classes=4, init_checkpoint=str(path))
    assert not torch.equal(model.trunk.conv1.weight, net.trunk.conv1.weight)   # loaded by init_weights
    model.init_weights()
    for k, v in net.trunk.state_dict().items():
        assert torch.equal(model.trunk.state_dict()[k], v), k
    fresh = PatchClassifier(num_classes=4)
    assert not torch.equal(fresh.trunk.conv1.weight, model.trunk.conv1.weight)




def test_frame_not_divisible_into_the_grid_runs_end_to_end(tmp_path):
    """Issue 4's bad-input case that is a policy, not an error: a 233x131 frame on a 5x8 grid goes
    from the class folder to a patch map and truth with array_split cells (27/26 rows, 30/29 columns)."""
    from mmengine.dataset import pseudo_collate
    from PIL import Image

    from wsseg.datasets.deepseagrass import DeepSeagrassFrames
    from wsseg.patch.data import LoadPatchTruth
    from wsseg.patch.grid import colour_patch_map, grid_bounds

    (tmp_path / 'Strappy').mkdir()
    Image.new('RGB', (233, 131), (30, 120, 60)).save(tmp_path / 'Strappy' / 'odd.JPG')
    ds = DeepSeagrassFrames(str(tmp_path), pipeline=[dict(type='LoadImage'), dict(type='PackPatchInputs')])
    model = PatchClassifier(4, grid=(5, 8), label_source='image').eval()
    out = model.test_step(pseudo_collate([ds[0]]))[0]
    assert out.pred_label.shape == (5, 8) and out.extra['probs'].shape == (4, 5, 8)
    pic = colour_patch_map(out.pred_label.numpy(), [[255, 0, 0]] * 4, np.zeros((131, 233, 3), np.uint8))
    assert pic.shape == (131, 233, 3)
    assert grid_bounds(131, 5).tolist() == [0, 27, 53, 79, 105, 131]
    mask = np.zeros((131, 233), np.uint8)
    mask[:27, :30] = 1                                   # exactly the first (taller, wider) cell
    truth = LoadPatchTruth(source='mask', grid=(5, 8))(dict(img_path='odd.JPG', classes=('a', 'b'), gt_seg_map=mask))
    assert truth['patch_truth'][0, 0] == 1 and truth['patch_truth'].sum() == 1
