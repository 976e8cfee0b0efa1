"""The cross-image refinement: superpixel features on a real MSRC-21 image, and hard EM on a small
case whose answer is known (a class that always comes with another, which CAMs confuse)."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from skimage.color import rgb2lab
from skimage.segmentation import slic

from wsseg.refine.cross_image import AB_BINS, LBP_POINTS, cross_image_labels, superpixel_features
from wsseg.refine.superpixels import segment_means

HAND = 3 + 3 + AB_BINS ** 2 + LBP_POINTS + 2 + 2     # Lab mean, std, ab histogram, LBP histogram, centre


def test_superpixel_features_on_a_real_image(shared_data):
    img = np.asarray(Image.open(shared_data / 'msrc21' / 'images' / 'train' / '4_28_s.png').convert('RGB'))
    seg = slic(img, n_segments=100, start_label=0)
    seg = np.unique(seg, return_inverse=True)[1].reshape(seg.shape)
    deep = np.stack([np.full(seg.shape, 2.0), seg.astype(float)])       # known pooled values
    f = superpixel_features(img, seg, deep)
    s = seg.max() + 1
    assert f.shape == (s, HAND + 2)
    lab = rgb2lab(img)
    for k in (0, s // 2, s - 1):
        np.testing.assert_allclose(f[k, :3], lab[seg == k].mean(0), rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(f[:, 6:6 + AB_BINS ** 2].sum(1), 1, atol=1e-5)           # histograms
    np.testing.assert_allclose(f[:, 6 + AB_BINS ** 2:HAND - 2].sum(1), 1, atol=1e-5)
    assert (f[:, HAND - 2:HAND] >= 0).all() and (f[:, HAND - 2:HAND] <= 1).all()       # centre
    np.testing.assert_allclose(f[:, HAND], 2.0, atol=1e-5)
    np.testing.assert_allclose(f[:, HAND + 1], np.arange(s), atol=1e-4)
    with pytest.raises(ValueError, match='deep features'):
        superpixel_features(img, seg, deep[:, :10])
    with pytest.raises(ValueError, match='segments'):
        superpixel_features(img, seg[:10], None)


def test_segment_means_is_the_mean_per_superpixel():
    seg = np.array([[0, 0, 1], [2, 2, 1]])
    scores = np.array([[[1., 3., 5.], [2., 4., 7.]], [[0., 0., 1.], [1., 1., 1.]]])
    np.testing.assert_allclose(segment_means(seg, scores.reshape(2, -1).T), [[2, 0], [6, 1], [3, 1]])


def _toy(seed: int = 0):
    """Classes 0 'sheep', 1 'grass', 2 'road', as 2-D feature clusters. 20 images tagged
    {sheep, grass}: 3 sheep and 7 grass superpixels, whose CAM calls 4 of the grass ones sheep
    (sheep never come without grass). 40 images tagged {grass, road}: 7 grass, 3 road, CAM right."""
    rng = np.random.default_rng(seed)
    centre = np.array([[3.0, 0.0], [0.0, 3.0], [-3.0, -3.0]])
    feats, cams, tags, truth = [], [], [], []
    for i in range(60):
        if i < 20:
            t, y = np.array([0, 1]), np.array([0] * 3 + [1] * 7)
            wrong = np.isin(np.arange(10), [3, 4, 5, 6])           # grass the CAM calls sheep
            cam = np.where(((y == 0) | wrong)[:, None], [0.9, 0.3], [0.3, 0.9])
        else:
            t, y = np.array([1, 2]), np.array([1] * 7 + [2] * 3)
            cam = np.where((y == 1)[:, None], [0.9, 0.2], [0.2, 0.9])
        feats.append((centre[y] + 0.7 * rng.standard_normal((10, 2))).astype(np.float32))
        cams.append(cam.astype(np.float32))
        tags.append(t)
        truth.append(y)
    return feats, cams, tags, [np.full(10, 50) for _ in range(60)], truth


def _accuracy(labels, truth) -> float:
    return float(np.mean(np.concatenate(labels) == np.concatenate(truth)))


def test_hard_em_corrects_a_class_that_the_cam_confuses_with_its_companion():
    feats, cams, tags, areas, truth = _toy()
    start = cross_image_labels(feats, cams, tags, areas, num_classes=3, rounds=0)
    assert _accuracy(start, truth) == pytest.approx(1 - 20 * 4 / 600)       # the CAM's own labels
    labels = cross_image_labels(feats, cams, tags, areas, num_classes=3, rounds=5, folds=2)
    for lab, t in zip(labels, tags):
        assert set(lab.tolist()) <= set(t.tolist())                          # only the image's tags
    sheep_images = np.concatenate(labels[:20]), np.concatenate(truth[:20])
    assert np.mean(sheep_images[0] == sheep_images[1]) > 0.95, 'grass in the sheep images stays sheep'
    assert _accuracy(labels, truth) > 0.97


def test_every_tag_keeps_a_superpixel():
    feats, cams, tags, areas, _ = _toy()
    cams[0] = np.tile([0.9, 0.1], (10, 1)).astype(np.float32)     # image 0's CAM sees no grass at all
    feats[0] = np.tile(feats[0][:1], (10, 1))                      # and all its superpixels look alike
    labels = cross_image_labels(feats, cams, tags, areas, num_classes=3, rounds=2)
    assert set(labels[0].tolist()) == {0, 1}


def test_bad_input_names_the_image():
    feats, cams, tags, areas, _ = _toy()
    tags[5] = np.array([], np.int64)
    with pytest.raises(ValueError, match='image 5 has no tags'):
        cross_image_labels(feats, cams, tags, areas, num_classes=3)
    feats, cams, tags, areas, _ = _toy()
    cams[7] = cams[7][:, :1]
    with pytest.raises(ValueError, match='image 7'):
        cross_image_labels(feats, cams, tags, areas, num_classes=3)


def _msrc_train(shared_data, n: int, tags_source: dict | None = None):
    from wsseg.datasets.msrc21 import MSRC21Dataset
    from wsseg.datasets.transforms import LoadImage, LoadMask, PackSegInputs
    from wsseg.weak.base import LoadWeakLabels
    return MSRC21Dataset(str(shared_data / 'msrc21'), split='train', indices=n, pipeline=[
        LoadImage(), LoadMask(), LoadWeakLabels([tags_source or dict(type='Tags', simulate=True)]),
        PackSegInputs(target='none')])


def test_cross_image_labeller_labels_a_dataset_and_resumes(shared_data, tmp_path):
    """The pipeline labeller of (d) on 4 real train images (random CAM weights): one mask per image,
    only the image's own tags, every tag kept; a second run finds them done; a lost mask is
    written again from the cached first pass."""
    import torch

    from wsseg.models.cam_classifier import CamClassifier
    from wsseg.pseudo.cross_image import CACHE, CrossImageCamLabeller
    from wsseg.utils.io import read_mask
    ds = _msrc_train(shared_data, 4)
    torch.manual_seed(0)
    lab = CrossImageCamLabeller(CamClassifier(num_classes=21), scales=(0.5,), flip=False, n_segments=60,
                                rounds=2, folds=2, device='cpu')
    with pytest.raises(TypeError, match='whole dataset'):
        lab.label(ds[0])
    out = tmp_path / 'masks'
    report = lab.run(ds, out)
    assert report['labelled'] == 4 and report['skipped_bad'] == []
    masks = {}
    for i in range(4):
        info = ds.get_data_info(i)
        tags = set(ds[i]['data_samples'].weak.tags.tolist())
        masks[i] = read_mask(out / f"{info['img_id']}.png")
        assert masks[i].shape == tuple(ds[i]['data_samples'].img_shape)
        assert set(np.unique(masks[i]).tolist()) == tags, info['img_id']      # own tags, each kept
        assert (out / CACHE / f"{info['img_id']}.npz").is_file()
    assert lab.run(ds, out)['skipped_existing'] == 4
    lost = out / f"{ds.get_data_info(2)['img_id']}.png"
    lost.unlink()
    assert lab.run(ds, out)['labelled'] == 4              # EM again over the cached pass 1
    assert (read_mask(lost) == masks[2]).all()


def test_cross_image_labeller_names_an_image_without_tags(shared_data, tmp_path):
    import torch

    from wsseg.models.cam_classifier import CamClassifier
    from wsseg.pseudo.cross_image import CrossImageCamLabeller
    from wsseg.structures import WeakLabels
    from wsseg.utils.io import DataError
    from wsseg.weak.stored import save_weak_labels
    ds = _msrc_train(shared_data, 3)
    ids = [ds.get_data_info(i)['img_id'] for i in range(3)]
    for i, img_id in enumerate(ids):
        size = tuple(ds[i]['data_samples'].img_shape)
        save_weak_labels(WeakLabels(image_size=size, tags=[] if i == 1 else [1, 2]), tmp_path / 'weak', img_id)
    weak = tmp_path / 'weak'
    ds = _msrc_train(shared_data, 3, dict(type='StoredWeakLabels', weak_dir=str(weak)))
    torch.manual_seed(0)
    lab = CrossImageCamLabeller(CamClassifier(num_classes=21), scales=(0.5,), flip=False, n_segments=40,
                                rounds=1, folds=1, device='cpu')
    with pytest.raises(DataError, match=f'{ids[1]}.png: no image tags'):
        lab.run(ds, tmp_path / 'stop')
    report = lab.run(ds, tmp_path / 'skip', bad_data='skip')
    assert [b['file'] for b in report['skipped_bad']] == [ds.get_data_info(1)['img_path']]
    assert sorted(p.stem for p in (tmp_path / 'skip').glob('*.png')) == sorted([ids[0], ids[2]])


def test_cam_ensemble_averages_its_members_on_a_real_image(shared_data, tmp_path):
    """An ensemble of two classifiers (random weights, saved as checkpoints) gives the normalised
    mean of their CAMs, which is neither member's; (d) pools both trunks' features; a missing
    member checkpoint is named."""
    import torch

    from wsseg.models.cam_classifier import CamClassifier, normalise_cams
    from wsseg.pseudo.cam import CamPseudoLabeller
    from wsseg.pseudo.cross_image import CrossImageCamLabeller
    from wsseg.utils.checkpoint import CheckpointError
    results = _msrc_train(shared_data, 1)[0]
    paths = []
    for seed in (0, 1):
        torch.manual_seed(seed)
        paths.append(tmp_path / f'cam_s{seed}.pth')
        torch.save(dict(state_dict=CamClassifier(num_classes=21).state_dict()), paths[-1])
    model = dict(type='CamClassifier', num_classes=21)
    opts = dict(scales=(0.5, 0.75), flip=True, device='cpu')
    one, two = (CamPseudoLabeller(model, str(p), **opts).class_cams(results) for p in paths)
    both = CamPseudoLabeller(model, str(paths[0]), ensemble=[str(paths[1])], **opts).class_cams(results)
    assert both.shape == one.shape == (21, *results['data_samples'].img_shape)
    ref = normalise_cams(torch.from_numpy((one + two) / 2)).numpy()
    assert np.allclose(both, ref, atol=1e-5)
    assert np.allclose(both.max((1, 2)), 1, atol=1e-3)
    assert not np.allclose(both, one, atol=1e-2) and not np.allclose(both, two, atol=1e-2)
    small = dict(scales=(0.5,), flip=False, n_segments=40, device='cpu')
    single = CrossImageCamLabeller(model, str(paths[0]), **small).image_part(results)
    pair = CrossImageCamLabeller(model, str(paths[0]), ensemble=[str(paths[1])], **small).image_part(results)
    assert (pair['segments'] == single['segments']).all()
    assert pair['features'].shape[1] - single['features'].shape[1] == 512       # ResNet-18 trunk channels
    with pytest.raises(CheckpointError, match='missing_s2.pth'):
        CamPseudoLabeller(model, str(paths[0]), ensemble=[str(tmp_path / 'missing_s2.pth')], **opts)
    with pytest.raises(ValueError, match="first classifier's checkpoint"):
        CamPseudoLabeller(model, ensemble=[str(paths[1])], **opts)
