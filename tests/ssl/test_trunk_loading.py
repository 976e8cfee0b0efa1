"""One trunk file (tools/pretrain_ssl.py) initialises the four networks that have the trunk,
and a file of another architecture or width is an error naming the file and the keys."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from wsseg.models.cam_classifier import CamClassifier
from wsseg.models.deeplab import DeepLabV3Plus
from wsseg.models.resnet_trunk import ResNetTrunk, save_trunk
from wsseg.patch.classifier import PatchClassifier
from wsseg.utils.checkpoint import CheckpointError


def trunk_file(path: Path, depth: int = 18, seed: int = 0) -> tuple[Path, dict]:
    """A trunk file with non-default weights (every tensor drawn), as pretraining writes it."""
    torch.manual_seed(seed)
    state = {k: torch.randn_like(v.float()).to(v.dtype) if v.is_floating_point() else v
             for k, v in ResNetTrunk(depth).state_dict().items()}
    return save_trunk(path, state, dict(arch=f'resnet{depth}', method='densecl')), state


@pytest.fixture
def trunk18(tmp_path) -> tuple[Path, dict]:
    return trunk_file(tmp_path / 'trunk.pth')


def test_deeplab_loads_every_trunk_tensor(trunk18):
    path, state = trunk18
    net = DeepLabV3Plus(num_classes=3, pretrained=str(path))
    own = net.state_dict()
    assert torch.equal(own['stem.0.weight'], state['conv1.weight'])
    assert torch.equal(own['stem.1.running_var'], state['bn1.running_var'])
    for k, v in state.items():
        if k.startswith('layer'):
            assert torch.equal(own[k], v), k


def test_cam_classifier_loads_the_trunk(trunk18):
    path, state = trunk18
    net = CamClassifier(num_classes=4, pretrained=str(path))
    net.init_weights()      # mmengine's init must not overwrite the loaded trunk
    own = net.state_dict()
    assert torch.equal(own['trunk.0.weight'], state['conv1.weight'])
    assert torch.equal(own['trunk.7.1.conv2.weight'], state['layer4.1.conv2.weight'])


def test_patch_classifier_loads_the_trunk(trunk18):
    path, state = trunk18
    net = PatchClassifier(num_classes=3, init_checkpoint=str(path), init_kind='ResNet trunk')
    net.init_weights()
    assert torch.equal(net.trunk.conv1.weight, state['conv1.weight'])
    assert torch.equal(net.trunk.layer3[0].downsample[1].weight, state['layer3.0.downsample.1.weight'])


def _mmseg_model(checkpoint: Path):
    pytest.importorskip('mmcv.ops', reason='mmcv with compiled ops is built by tools/setup_env.sh')
    from mmengine.config import Config

    from wsseg.stage2 import prepare_mmseg
    prepare_mmseg()
    from mmengine.registry import DefaultScope
    from mmseg.registry import MODELS
    root = Path(__file__).resolve().parents[2]
    cfg = Config.fromfile(str(root / 'configs/stage2/camvid_pseudo_ssl.py'))
    cfg.model.backbone.init_cfg.checkpoint = str(checkpoint)
    with DefaultScope.overwrite_default_scope('mmseg'):
        return MODELS.build(cfg.model)


def test_mmseg_backbone_loads_through_its_own_init_cfg(trunk18):
    from wsseg.engine.runner import check_pretrained_inits
    path, state = trunk18
    model = _mmseg_model(path)
    assert model.backbone.init_cfg['type'] == 'Pretrained'
    check_pretrained_inits(model)
    model.init_weights()    # mmengine's PretrainedInit, as the Runner calls it
    own = model.backbone.state_dict()
    assert set(own) == set(state)
    for k, v in state.items():
        assert torch.equal(own[k], v), k


def test_mmseg_init_cfg_of_another_depth_is_an_error(tmp_path):
    from wsseg.engine.runner import check_pretrained_inits
    path, _ = trunk_file(tmp_path / 'r34.pth', depth=34)
    with pytest.raises(CheckpointError, match=r'r34\.pth.*unexpected keys.*layer1\.2\.\*'):
        check_pretrained_inits(_mmseg_model(path))


@pytest.mark.parametrize('build', [
    lambda p: DeepLabV3Plus(num_classes=3, pretrained=p),
    lambda p: CamClassifier(num_classes=3, pretrained=p),
    lambda p: PatchClassifier(num_classes=3, init_checkpoint=p, init_kind='ResNet trunk').init_weights(),
], ids=['deeplab', 'cam', 'patch'])
def test_another_depth_is_an_error_naming_file_and_keys(tmp_path, build):
    path, _ = trunk_file(tmp_path / 'resnet34_trunk.pth', depth=34)
    with pytest.raises(CheckpointError) as e:
        build(str(path))
    msg = str(e.value)
    assert 'resnet34_trunk.pth' in msg and 'unexpected keys' in msg and 'layer1.2.*' in msg


def test_another_width_is_an_error_naming_the_shapes(tmp_path):
    """A half-width ResNet-18 (every channel count halved): same keys, other shapes."""
    state = {k: v[tuple(slice(0, max(1, n // 2)) for n in v.shape[:2])].clone() if v.dim() else v
             for k, v in ResNetTrunk(18).state_dict().items()}
    path = save_trunk(tmp_path / 'half.pth', state, dict(arch='resnet18_half'))
    with pytest.raises(CheckpointError, match=r'half\.pth.*shape mismatches \d+.*\(32, 1, 7, 7\)'):
        DeepLabV3Plus(num_classes=3, pretrained=str(path))


def test_a_whole_network_checkpoint_is_not_a_trunk(tmp_path):
    """A DeepLabV3+ training checkpoint has other names: it must not load silently."""
    net = DeepLabV3Plus(num_classes=3)
    path = tmp_path / 'deeplab.pth'
    torch.save({'state_dict': net.state_dict()}, path)
    with pytest.raises(CheckpointError, match=r'deeplab\.pth.*missing keys.*conv1\.weight.*unexpected keys.*aspp'):
        CamClassifier(num_classes=3, pretrained=str(path))


def test_missing_trunk_file_says_where_to_get_it(tmp_path):
    with pytest.raises(CheckpointError, match=r'nope\.pth.*tools/pretrain_ssl\.py'):
        DeepLabV3Plus(num_classes=3, pretrained=str(tmp_path / 'nope.pth'))
