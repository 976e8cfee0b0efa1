"""Simulated weak labels: hand-made masks with hand-computed answers, and statistics on CamVid."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage as ndi

from wsseg.structures import IGNORE
from wsseg.utils.io import read_mask
from wsseg.weak.simulate import (regions, simulate_boxes, simulate_points, simulate_scribbles,
                                 simulate_tags, simulate_weak_labels)

EIGHT = np.ones((3, 3), bool)
COVERAGES = (0.01, 0.03, 0.10)
N_CAMVID = 11


@pytest.fixture(scope='module')
def camvid_masks(shared_data):
    files = sorted((shared_data / 'camvid' / 'masks' / 'train').glob('*.png'))
    if not files:
        pytest.skip('no CamVid masks in shared data')
    picks = [files[i] for i in np.linspace(0, len(files) - 1, 4).astype(int)]
    return {p.stem: read_mask(p, N_CAMVID) for p in picks}


@pytest.fixture(scope='module')
def camvid_scribbles(camvid_masks):
    """{(stem, coverage): scribble map}, drawn once per module (seed 7)."""
    return {(k, c): simulate_scribbles(m, c, rng=7) for k, m in camvid_masks.items() for c in COVERAGES}


# ----------------------------------------------------------------------------- tags
def test_tags_are_the_classes_present_without_ignore():
    m = np.array([[0, 0, 255], [5, 2, 255]], np.uint8)
    assert simulate_tags(m).tolist() == [0, 2, 5]
    assert simulate_tags(np.full((3, 3), 255, np.uint8)).tolist() == []


# ---------------------------------------------------------------------------- boxes
def test_boxes_tightly_bound_each_component_hand_computed():
    m = np.zeros((8, 10), np.uint8)
    m[2:5, 3:7] = 1            # rows 2..4, cols 3..6 -> (3, 2, 7, 5)
    m[6, 0] = 1                # a single pixel -> (0, 6, 1, 7)
    m[0, 8] = 2                # two diagonal pixels are one 8-connected component
    m[1, 9] = 2                # -> (8, 0, 10, 2)
    m[7, 9] = 255
    boxes, labels = simulate_boxes(m, background_index=0)
    got = sorted(zip(labels.tolist(), boxes.tolist()))
    assert got == [(1, [0, 6, 1, 7]), (1, [3, 2, 7, 5]), (2, [8, 0, 10, 2])]
    assert boxes.dtype == np.float32 and boxes.shape == (3, 4)


def test_boxes_background_min_area_and_instances():
    m = np.zeros((8, 10), np.uint8)
    m[2:5, 3:7] = 1
    m[6, 0] = 1
    # background kept when background_index is None: the whole image minus the class-1 pixels
    boxes, labels = simulate_boxes(m)
    assert [0, 0, 10, 8] in boxes[labels == 0].tolist()
    # min_area=2 drops the single pixel
    boxes, labels = simulate_boxes(m, min_area=2, background_index=0)
    assert boxes.tolist() == [[3, 2, 7, 5]] and labels.tolist() == [1]
    # two touching instances of one class: one box each, labelled by majority class
    inst_a = np.zeros_like(m, bool)
    inst_a[2:5, 3:5] = True
    inst_b = np.zeros_like(m, bool)
    inst_b[2:5, 5:7] = True
    boxes, labels = simulate_boxes(m, instance_masks=[inst_a, inst_b, np.zeros_like(inst_a)])
    assert boxes.tolist() == [[3, 2, 5, 5], [5, 2, 7, 5]] and labels.tolist() == [1, 1]
    boxes, labels = simulate_boxes(m, instance_masks=[inst_a], instance_labels=[4])
    assert labels.tolist() == [4]
    with pytest.raises(ValueError, match='labels'):
        simulate_boxes(m, instance_masks=[inst_a], instance_labels=[1, 2])


def test_boxes_on_camvid_contain_exactly_their_component(camvid_masks):
    m = next(iter(camvid_masks.values()))
    boxes, labels = simulate_boxes(m, min_area=20)
    assert len(boxes) == len(list(regions(m, min_area=20)))
    lab_cache = {}
    for (x1, y1, x2, y2), c in zip(boxes.astype(int), labels):
        if c not in lab_cache:
            lab_cache[c] = ndi.label(m == c, structure=EIGHT)[0]
        window = lab_cache[c][y1:y2, x1:x2]
        ids = np.unique(window[window > 0])
        # some component touches all four sides of the box and lies wholly inside it
        ok = False
        for i in ids:
            inside = window == i
            if inside.sum() == (lab_cache[c] == i).sum() and inside[0].any() and inside[-1].any() \
                    and inside[:, 0].any() and inside[:, -1].any():
                ok = True
        assert ok, f'box {(x1, y1, x2, y2)} of class {c} is not tight around a component'


# --------------------------------------------------------------------------- points
def test_points_hand_computed_interior():
    m = np.zeros((11, 11), np.uint8)
    m[1:10, 1:10] = 3          # a 9x9 square, centre (5, 5)
    pts, labels = simulate_points(m, 1, rng=0, background_index=0, top_fraction=1.0)
    assert pts.tolist() == [[5, 5]] and labels.tolist() == [3]
    # top half of the distance range: distance >= 2.5 -> rows/cols 3..7 of the image
    pts, labels = simulate_points(m, 5, rng=1, background_index=0)
    assert len(pts) == 5 and len({tuple(p) for p in pts}) == 5
    assert ((pts >= 3) & (pts <= 7)).all() and (labels == 3).all()


def test_points_inside_their_regions_n_per_component(camvid_masks):
    for stem, m in camvid_masks.items():
        n = 3
        pts, labels = simulate_points(m, n, rng=0, min_area=n)
        assert (m[pts[:, 1], pts[:, 0]] == labels).all(), stem
        counted = 0
        for c, sl, comp in regions(m, min_area=n):
            x, y = pts[:, 0] - sl[1].start, pts[:, 1] - sl[0].start
            inbox = (x >= 0) & (y >= 0) & (x < comp.shape[1]) & (y < comp.shape[0]) & (labels == c)
            inside = np.zeros(len(pts), bool)
            inside[inbox] = comp[y[inbox], x[inbox]]
            assert inside.sum() == n, f'{stem}: class {c} region has {inside.sum()} points, want {n}'
            counted += n
        assert counted == len(pts)


def test_points_seeded():
    m = np.zeros((30, 30), np.uint8)
    m[5:25, 5:25] = 1
    a = simulate_points(m, 4, rng=3)[0]
    assert np.array_equal(a, simulate_points(m, 4, rng=3)[0])
    assert not np.array_equal(a, simulate_points(m, 4, rng=4)[0])


# ------------------------------------------------------------------------- scribbles
def test_scribble_coverage_near_target_and_monotone(camvid_masks, camvid_scribbles):
    for stem, m in camvid_masks.items():
        got = [float((camvid_scribbles[stem, c] != IGNORE).mean()) for c in COVERAGES]
        for c, g in zip(COVERAGES, got):
            assert 0.5 * c <= g <= 1.5 * c, f'{stem}: coverage {g:.4f} for target {c}'
        assert got[0] < got[1] < got[2], f'{stem}: coverage not monotone {got}'


def test_scribble_pixels_always_carry_the_mask_class(camvid_masks, camvid_scribbles):
    for (stem, c), s in camvid_scribbles.items():
        lab = s != IGNORE
        assert lab.any()
        assert np.array_equal(s[lab], camvid_masks[stem][lab]), f'{stem} at {c}: wrong class'
        assert not (camvid_masks[stem][lab] == IGNORE).any()


def test_every_region_above_min_size_gets_a_stroke(camvid_masks, camvid_scribbles):
    for stem, m in camvid_masks.items():
        s = camvid_scribbles[stem, 0.01]           # the smallest budget is the hardest case
        present = set()
        for c, sl, comp in regions(m, min_area=16):
            assert (s[sl][comp] == c).any(), f'{stem}: a class-{c} region of {comp.sum()} px has no stroke'
            present.add(c)
        assert present <= set(np.unique(s).tolist())


def test_scribbles_are_strokes_not_dots(camvid_masks, camvid_scribbles):
    for stem, m in camvid_masks.items():
        s = camvid_scribbles[stem, 0.03]
        n_regions = len(list(regions(m, min_area=16)))
        pieces = sum(ndi.label(s == c, structure=EIGHT)[1] for c in np.unique(s) if c != IGNORE)
        # about one stroke per region (a second one only where a region's first path ran out)
        assert pieces <= 1.5 * n_regions, f'{stem}: {pieces} stroke pieces for {n_regions} regions'
        # strokes are long: on average far more pixels than one 3-pixel brush dab
        assert (s != IGNORE).sum() / pieces > 15


def test_scribbles_seeded_and_background_option(camvid_masks, camvid_scribbles):
    stem, m = next(iter(camvid_masks.items()))
    a = camvid_scribbles[stem, 0.03]
    assert np.array_equal(a, simulate_scribbles(m, 0.03, rng=7))
    assert not np.array_equal(a, simulate_scribbles(m, 0.03, rng=8))
    gen = np.random.default_rng(7)
    assert np.array_equal(a, simulate_scribbles(m, 0.03, rng=gen))
    no_sky = simulate_scribbles(m, 0.03, rng=7, background_index=0)
    assert 0 in a and 0 not in no_sky


def test_scribble_stroke_stays_inside_a_thin_region_and_bad_params():
    m = np.zeros((20, 40), np.uint8)
    m[9:11, 2:38] = 1          # a 2-pixel-thick bar: erosion by the brush would empty it
    s = simulate_scribbles(m, 0.05, rng=0, background_index=0)
    assert (s == 1).any() and ((s == 1) <= (m == 1)).all() and not (s == 0).any()
    with pytest.raises(ValueError, match='odd'):
        simulate_scribbles(m, 0.03, width=4)
    with pytest.raises(ValueError, match='coverage'):
        simulate_scribbles(m, 1.5)
    assert (simulate_scribbles(m, 0.0) == IGNORE).all()


# ------------------------------------------------------------------------------ all
def test_simulate_weak_labels_routes_params_and_reports_fraction(camvid_masks):
    stem, m = next(iter(camvid_masks.items()))
    w = simulate_weak_labels(m, seed=5, coverage=0.03, n_per_region=2, min_area=16, source=stem)
    w.validate(N_CAMVID)
    assert w.source == stem and w.image_size == m.shape
    assert w.tags.tolist() == simulate_tags(m).tolist()
    assert len(w.points) == 2 * len(list(regions(m, min_area=16)))
    assert np.array_equal(w.boxes, simulate_boxes(m, min_area=16)[0])
    frac = w.labelled_fraction()
    assert 0.015 <= frac <= 0.045 + len(w.points) / m.size
    assert np.array_equal(w.partial_mask()[w.partial_mask() != IGNORE],
                          m[w.partial_mask() != IGNORE])
    # one kind alone gives the same scribbles: independent streams
    only = simulate_weak_labels(m, kinds='scribbles', seed=5, coverage=0.03, min_area=16)
    assert np.array_equal(only.scribbles, w.scribbles) and not len(only.points)
    with pytest.raises(ValueError, match='unknown simulation parameters'):
        simulate_weak_labels(m, coverag=0.03)
    with pytest.raises(ValueError, match='unknown weak-label kinds'):
        simulate_weak_labels(m, kinds=('polygons',))


def test_simulated_labels_are_remembered_per_image_and_follow_the_mask():
    from wsseg.registry import WEAK_LABELS
    import wsseg.weak.scribbles as mod
    calls = []
    real = mod.simulate_scribbles

    def counting(*a, **k):
        calls.append(1)
        return real(*a, **k)
    mod.simulate_scribbles = counting
    try:
        src = WEAK_LABELS.build(dict(type='Scribbles', simulate=True, coverage=0.05))
        gt = np.zeros((40, 40), np.uint8)
        gt[10:30, 10:30] = 1

        def run(mask, img_id='a'):
            res = dict(img_id=img_id, img_path=f'{img_id}.png', img_shape=mask.shape, gt_seg_map=mask,
                       classes=('bg', 'fg'))
            src(res)
            return res['weak'].scribbles
        first, second = run(gt), run(gt)
        assert len(calls) == 1 and np.array_equal(first, second)      # second epoch: remembered
        first[first != 255] = 0                                      # a caller's edit ...
        assert not np.array_equal(run(gt), first)                    # ... does not reach the cache
        other = gt.copy()
        other[:5] = 1
        run(other)
        run(gt, img_id='b')
        assert len(calls) == 3                                       # new mask, new image id: new
    finally:
        mod.simulate_scribbles = real



def test_simulated_hands_out_copies_of_what_it_remembers():
    from wsseg.registry import WEAK_LABELS
    src = WEAK_LABELS.build(dict(type='Boxes', simulate=True))
    gt = np.zeros((40, 40), np.uint8)
    gt[10:30, 10:30] = 1
    res = dict(img_id='a', img_path='a.png', gt_seg_map=gt)
    boxes, labels = src.simulated(res, lambda: simulate_boxes(gt))
    kept = boxes.copy()
    boxes += 3                                                   # a caller's in-place edit ...
    labels[:] = 7
    again, again_labels = src.simulated(res, lambda: pytest.fail('simulated twice'))
    np.testing.assert_array_equal(again, kept)                   # ... does not reach the cache
    assert (again_labels != 7).all() and src._simulated.hits == 1
