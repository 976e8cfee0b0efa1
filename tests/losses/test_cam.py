"""CAM seeds for image tags: thresholds on hand-made CAMs, the classifier learns tags, the
empty-tags policy, and tags -> pseudo-masks through tools/pseudo_label.py with one config."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config

from wsseg.datasets.synthetic import make_scenes
from wsseg.datasets.transforms import SegSample
from wsseg.pseudo.cam import CamPseudoLabeller, cams_to_seeds
from wsseg.registry import DATASETS, MODELS
from wsseg.structures import WeakLabels
from wsseg.utils.io import read_mask

REPO = Path(__file__).resolve().parents[2]
CLASSES = ('background', 'disc', 'square', 'triangle', 'stripes')
PIPELINE = [dict(type='LoadImage'), dict(type='LoadMask'),
            dict(type='LoadWeakLabels', sources=[dict(type='Tags', simulate=True)]),
            dict(type='PackSegInputs', target='none')]


@pytest.fixture(scope='module')
def scenes(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp('cam_scenes')
    make_scenes(root, splits={'train': 4}, size=(48, 48), seed=5, classes=CLASSES)
    return root


def _dataset(root: Path):
    return DATASETS.build(dict(type='FolderDataset', data_root=str(root), split='train',
                               classes=CLASSES, pipeline=PIPELINE))


def test_thresholds_on_hand_made_cams():
    cams = np.zeros((2, 3, 4), np.float32)
    cams[0, 0] = [1.0, 0.6, 0.3, 0.29]          # class 3: seed, seed, seed (== fg), undecided
    cams[1, 1] = [0.2, 0.9, 0.04, 0.5]          # class 7: undecided, seed, background, seed
    cams[0, 1, 1] = 0.8                         # both high: the larger (class 7, 0.9) wins
    tags = np.array([3, 7])
    mask, conf = cams_to_seeds(cams, tags, fg_threshold=0.3, bg_threshold=0.05, background_index=0)
    assert mask[0].tolist() == [3, 3, 3, 255]
    assert mask[1].tolist() == [255, 7, 0, 7]
    assert (mask[2] == 0).all()                 # every CAM below 0.05 -> background
    assert conf[0, 0] == pytest.approx(1.0) and conf[1, 2] == pytest.approx(0.96)
    assert conf[0, 3] == 0.0
    no_bg, _ = cams_to_seeds(cams, tags, 0.3, 0.05, background_index=None)
    assert (no_bg[2] == 255).all() and no_bg[1, 2] == 255 and no_bg[0, 0] == 3
    with pytest.raises(ValueError, match='bg_threshold'):
        cams_to_seeds(cams, tags, fg_threshold=0.1, bg_threshold=0.2)
    with pytest.raises(ValueError, match=r'tags \[3\]'):
        cams_to_seeds(cams, tags[:1])


@pytest.mark.parametrize('background_index, fill', [(0, 0), (None, 255)])
def test_empty_tags_policy(background_index, fill):
    lab = CamPseudoLabeller(model=dict(type='CamClassifier', num_classes=3), device='cpu',
                            background_index=background_index)
    tags = [] if background_index is None else [0]           # only background -> no object tag
    sample = SegSample(img_path='/data/empty_frame.jpg', img_id='empty_frame', ori_shape=(20, 30),
                       img_shape=(20, 30), weak=WeakLabels(image_size=(20, 30), tags=tags))
    with pytest.warns(UserWarning, match='empty_frame.jpg'):
        mask, conf = lab.label(dict(inputs=torch.zeros(3, 20, 30, dtype=torch.uint8), data_samples=sample))
    assert mask.shape == (20, 30) and (mask == fill).all() and (conf == 0).all()


def test_classifier_learns_tags_and_seeds_follow_tags(scenes, tmp_path):
    torch.manual_seed(0)
    ds = _dataset(scenes)
    items = [ds[i] for i in range(len(ds))]
    model = MODELS.build(dict(type='CamClassifier', num_classes=len(CLASSES), depth=18))
    data = model.data_preprocessor(dict(inputs=[i['inputs'] for i in items],
                                        data_samples=[i['data_samples'] for i in items]), True)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    losses = []
    for _ in range(8):
        loss = model(**data, mode='loss')['loss_bce']
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0], losses
    with torch.no_grad():   # still in training mode (batch statistics): the tags are memorised
        scores = model.image_logits(model.cams(data['inputs']), data['inputs'], data['data_samples']).sigmoid()
    truth = model.targets(data['data_samples'], 'cpu')
    assert ((scores > 0.5).float() == truth).all(), (scores, truth)
    model.eval()
    # seeds (and CRF-refined seeds) only ever name the image's own tags
    for crf, out in ((None, tmp_path / 'raw'), (dict(n_iters=3, threshold=0.5, confidence=0.7), tmp_path / 'crf')):
        lab = CamPseudoLabeller(model=model, device='cpu', fg_threshold=0.3, background_index=0, crf=crf)
        report = lab.run(ds, out)
        assert report['labelled'] == len(ds)
        for item in items:
            s = item['data_samples']
            mask = read_mask(out / f'{s.img_id}.png')
            assert mask.shape == s.img_shape
            assert set(np.unique(mask)) <= set(s.weak.tags.tolist()) | {0, 255}
            assert (mask != 255).mean() > 0.05


def test_tags_to_pseudo_masks_is_one_config(scenes, tmp_path):
    """configs/cam/camvid_tags_cam.py drives tools/pseudo_label.py (data swapped for scenes)."""
    from tools.pseudo_label import main as pseudo_main
    cfg = Config.fromfile(str(REPO / 'configs/cam/camvid_tags_cam.py'))
    assert cfg.pseudo_labeller.type == 'CamPseudoLabeller' and cfg.model.type == 'CamClassifier'
    cfg.pseudo_labeller.model.num_classes = len(CLASSES)
    cfg.pseudo_labeller.device = 'cpu'
    cfg.pseudo_dataset = dict(type='FolderDataset', data_root=str(scenes), split='train',
                              classes=CLASSES, pipeline=PIPELINE)
    cfg_path = tmp_path / 'cam_cfg.py'
    cfg.dump(str(cfg_path))
    model = MODELS.build(cfg.pseudo_labeller.model)
    torch.save({'state_dict': model.state_dict()}, tmp_path / 'cls.pth')
    out = tmp_path / 'seeds'
    report = pseudo_main([str(cfg_path), '--checkpoint', str(tmp_path / 'cls.pth'), '--out', str(out)])
    assert report['labelled'] == 4 and len(list(out.glob('*.png'))) == 4
    with pytest.raises(FileNotFoundError, match='missing.pth'):
        pseudo_main([str(cfg_path), '--checkpoint', str(tmp_path / 'missing.pth'), '--out', str(out)])
