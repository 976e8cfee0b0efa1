"""Box tightness under crops: a cut box keeps only the lines its region still fills."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from wsseg.logic.constraints import BoxTightness
from wsseg.structures import WeakLabels
from wsseg.utils.io import DataError, read_mask
from wsseg.weak.simulate import simulate_boxes


def test_crop_marks_the_cut_axes_and_add_boxes_starts_uncut():
    w = WeakLabels(image_size=(10, 10))
    w.add_boxes([[1, 1, 4, 4], [2, 5, 9, 8], [4, 0, 10, 3]], [1, 2, 3])
    assert w.box_cut.shape == (3, 2) and not w.box_cut.any()
    c = w.crop(y0=0, x0=0, h=6, w=6)
    # box 0 inside; box 1 cut on the right (x) and the bottom (y); box 2 cut on the right only
    np.testing.assert_array_equal(c.box_cut, [[False, False], [True, True], [True, False]])
    # flags survive a second crop and a flip, and an emptied box is dropped with its flag
    c2 = c.flip_horizontal().crop(y0=0, x0=0, h=6, w=3)
    assert len(c2.boxes) == len(c2.box_labels) == len(c2.box_cut)
    # a plugin that extends boxes directly (at load time) gets uncut flags for the new ones
    c.boxes = np.concatenate([c.boxes, [[0, 0, 1, 1]]]).astype(np.float32)
    c.box_labels = np.concatenate([c.box_labels, [1]])
    np.testing.assert_array_equal(c.validate(4).box_cut[-1], [False, False])
    c.boxes, c.box_labels = c.boxes[:1], c.box_labels[:1]       # removed without their flags
    with pytest.raises(DataError, match='box_cut flags'):
        c.validate(4)


def test_cut_box_gives_no_lines_along_its_cut_axis():
    # class 1 is an L: in the 4x4 box every row and column holds it; the crop keeps the
    # upright only, so the clipped box's bottom row has no class-1 pixel
    lab = np.zeros((4, 4), np.int64)
    lab[:, 0] = 1
    lab[3, :] = 1
    w = WeakLabels(image_size=(4, 4), boxes=[[0, 0, 4, 4]], box_labels=[1]).crop(0, 0, 3, 4)
    np.testing.assert_array_equal(w.box_cut, [[False, True]])
    p = torch.full((2, 3, 4), 1e-6, dtype=torch.float64)
    p[1] = torch.as_tensor(lab[:3] == 1, dtype=torch.float64).clamp(1e-6, 1 - 1e-6)
    p[0] = 1 - p[1]
    logp = p[None].log()
    got = BoxTightness()(logp, [w]).item()
    assert got > -1e-4                                     # rows only: all hold class 1
    uncut = WeakLabels(image_size=(3, 4), boxes=w.boxes, box_labels=[1])
    # treated as a whole-image box, its three empty columns would count as violated
    assert BoxTightness()(logp, [uncut]).item() < 3 * math.log(4e-6) / 7 + 1


def test_on_camvid_crops_every_kept_line_holds_its_class(shared_data):
    files = sorted((shared_data / 'camvid' / 'masks' / 'train').glob('*.png'))[:40]
    if not files:
        pytest.skip(f'no CamVid train masks under {shared_data}')
    rng = np.random.default_rng(0)
    kept = dropped_false = 0
    for f in files:
        m = read_mask(f)
        boxes, labels = simulate_boxes(m, background_index=None)
        w = WeakLabels(image_size=m.shape, boxes=boxes, box_labels=labels)
        for _ in range(3):
            y0, x0 = rng.integers(0, m.shape[0] - 128 + 1), rng.integers(0, m.shape[1] - 128 + 1)
            c, mc = w.crop(y0, x0, 128, 128), m[y0:y0 + 128, x0:x0 + 128]
            for (bx0, by0, bx1, by1), k, (cut_x, cut_y) in zip(c.boxes.astype(int), c.box_labels, c.box_cut):
                sub = mc[by0:by1, bx0:bx1] == k
                rows, cols = sub.any(1), sub.any(0)
                if not cut_x:
                    assert rows.all(), f'{f.name}: a row of an uncut-in-x box lacks class {k}'
                    kept += len(rows)
                else:
                    dropped_false += (~rows).sum()
                if not cut_y:
                    assert cols.all(), f'{f.name}: a column of an uncut-in-y box lacks class {k}'
                    kept += len(cols)
                else:
                    dropped_false += (~cols).sum()
    assert kept > 1000 and dropped_false > 0               # the rule drops lines that were false
