"""ScribbleSup strokes that leave the image are clipped segment by segment at its border:
a stroke that crosses the border keeps its direction inside (it is not bent onto the border),
and a stroke wholly outside draws nothing and warns naming the file and the stroke."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from skimage.draw import line

from wsseg.datasets.voc import rasterize_scribble_xml
from wsseg.structures import IGNORE
from wsseg.utils.io import DataError

H, W = 16, 20


def _xml(path, polygons) -> str:
    body = ''.join('<polygon><tag>{}</tag>{}</polygon>'.format(
        tag, ''.join(f'<point><X>{x}</X><Y>{y}</Y></point>' for x, y in pts)) for tag, pts in polygons)
    path.write_text(f'<annotation><size><width>{W}</width><height>{H}</height></size>{body}</annotation>')
    return path


def _reference(pts, pad: int = 100) -> np.ndarray:
    """The stroke drawn 1 px wide on a canvas large enough to hold it, then cut to the image."""
    big = np.zeros((H + 2 * pad, W + 2 * pad), bool)
    for (x0, y0), (x1, y1) in zip(pts[:-1], pts[1:]):
        rr, cc = line(y0 + pad, x0 + pad, y1 + pad, x1 + pad)
        big[rr, cc] = True
    return big[pad:pad + H, pad:pad + W]


@pytest.mark.parametrize('pts', [
    [(-9, 0), (21, 10)],                  # enters at the left, leaves at the right (slope 1/3)
    [(5, -12), (11, 24)],                 # top to bottom, steep
    [(3, 3), (-30, 14)],                  # from inside out through the left border
    [(2, 2), (40, 9), (10, 14)],          # out through the right border and back in
])
def test_crossing_stroke_is_clipped_not_bent(tmp_path, pts):
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        out = rasterize_scribble_xml(_xml(tmp_path / 'a.xml', [('cat', pts)]), (H, W), width=1)
    np.testing.assert_array_equal(out != IGNORE, _reference(pts))
    assert set(np.unique(out)) == {8, IGNORE}


def test_stroke_wholly_outside_draws_nothing_and_warns(tmp_path):
    path = _xml(tmp_path / 'b.xml', [('cat', [(2, 2), (8, 8)]), ('dog', [(-40, -5), (-3, 30)]),
                                    ('cow', [(25, 2), (60, 2)])])
    with pytest.warns(UserWarning) as rec:
        out = rasterize_scribble_xml(path, (H, W), width=3)
    msgs = [str(w.message) for w in rec]
    assert len(msgs) == 2
    assert all(str(path) in m and 'outside the image' in m for m in msgs)
    assert 'polygon 1 (dog)' in msgs[0] and 'polygon 2 (cow)' in msgs[1]
    assert set(np.unique(out)) == {8, IGNORE}          # no dog or cow label along the border
    assert (out[:, 0] == IGNORE).all() and (out[:, -1] == IGNORE).all()


def test_brush_of_a_stroke_just_outside_reaches_in(tmp_path):
    """A 3-px brush on a stroke one pixel above the image labels row 0, as drawn on paper."""
    path = _xml(tmp_path / 'c.xml', [('cat', [(2, -1), (10, -1)])])
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        out = rasterize_scribble_xml(path, (H, W), width=3)
    assert (out[0, 1:12] == 8).all() and (out[1:] == IGNORE).all()


def test_far_away_coordinates_are_cheap_and_clipped(tmp_path):
    path = _xml(tmp_path / 'd.xml', [('cat', [(-1e12, 5), (1e12, 5)])])
    out = rasterize_scribble_xml(path, (H, W), width=1)
    assert (out[5] == 8).all() and (np.delete(out, 5, 0) == IGNORE).all()


@pytest.mark.parametrize('bad', ['nan', 'inf', '-inf'])
def test_non_finite_coordinate_is_a_data_error(tmp_path, bad):
    path = _xml(tmp_path / 'e.xml', [('cat', [(1, 1), (bad, 5)])])
    with pytest.raises(DataError, match=rf'{path}: polygon 0: <x> is not a finite number'):
        rasterize_scribble_xml(path, (H, W))
