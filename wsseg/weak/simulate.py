"""Simulate weak labels (tags, boxes, scribbles, points) from a full class-index mask.

Every function is pure and seeded: the same mask and seed give the same output. Masks are
(H, W) uint8 class indices with ``ignore_index`` (255) = unlabelled; an ignored pixel never
receives a label. "Region" below means one 8-connected component of one class
(``scipy.ndimage.label`` with a 3x3 structure).
"""
from __future__ import annotations

import inspect
import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage as ndi
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra
from skimage.morphology import disk, skeletonize

from wsseg.structures import IGNORE, WeakLabels

EIGHT = np.ones((3, 3), bool)
KINDS = ('tags', 'boxes', 'scribbles', 'points')


def as_rng(seed: int | np.random.Generator | None) -> np.random.Generator:
    """A Generator from an int seed (or the Generator itself)."""
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def _check_mask(mask: np.ndarray) -> np.ndarray:
    mask = np.asarray(mask)
    if mask.ndim != 2:
        raise ValueError(f'expected an (H, W) class-index mask, got shape {mask.shape}')
    return mask


def regions(mask: np.ndarray, ignore_index: int = IGNORE, background_index: int | None = None,
            min_area: int = 0):
    """Yield ``(class, slices, component)`` for every region with at least ``min_area`` pixels.

    ``slices`` is the region's bounding box (``ndimage.find_objects``) and ``component`` the
    region's bool mask inside it. Classes ascend; regions follow ``ndimage.label`` order.
    ``background_index`` (when not None) is skipped.
    """
    mask = _check_mask(mask)
    for c in np.unique(mask):
        if c == ignore_index or (background_index is not None and c == background_index):
            continue
        lab, _ = ndi.label(mask == c, structure=EIGHT)
        for i, sl in enumerate(ndi.find_objects(lab), start=1):
            comp = lab[sl] == i
            if comp.sum() >= max(min_area, 1):
                yield int(c), sl, comp


# ------------------------------------------------------------------------------------ tags
def simulate_tags(mask: np.ndarray, ignore_index: int = IGNORE) -> np.ndarray:
    """Image tags: the sorted classes present in ``mask`` (``ignore_index`` excluded)."""
    v = np.unique(_check_mask(mask))
    return v[v != ignore_index].astype(np.int64)


# ----------------------------------------------------------------------------------- boxes
def simulate_boxes(mask: np.ndarray, instance_masks=None, instance_labels=None, min_area: int = 0,
                   background_index: int | None = None, ignore_index: int = IGNORE
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Tight boxes ``(N, 4)`` float32 xyxy (0-based, x2/y2 exclusive) and labels ``(N,)``.

    Without ``instance_masks``: one box per region (8-connected component of one class) that
    has at least ``min_area`` pixels; ``background_index`` gets no box. With
    ``instance_masks`` (a list of (H, W) bool): one box per non-empty instance of at least
    ``min_area`` pixels, labelled by ``instance_labels`` when given, else by the most frequent
    non-ignored class of ``mask`` under the instance.
    """
    mask = _check_mask(mask)
    boxes, labels = [], []
    if instance_masks is None:
        for c, sl, _ in regions(mask, ignore_index, background_index, min_area):
            boxes.append((sl[1].start, sl[0].start, sl[1].stop, sl[0].stop))
            labels.append(c)
    else:
        if instance_labels is not None and len(instance_labels) != len(instance_masks):
            raise ValueError(f'{len(instance_masks)} instance masks but {len(instance_labels)} labels')
        for i, inst in enumerate(instance_masks):
            inst = np.asarray(inst, bool)
            if inst.shape != mask.shape:
                raise ValueError(f'instance mask {i} is {inst.shape}, the mask is {mask.shape}')
            if inst.sum() < max(min_area, 1):
                continue
            if instance_labels is not None:
                c = int(instance_labels[i])
            else:
                v = mask[inst]
                v = v[v != ignore_index]
                if not v.size:
                    continue
                c = int(np.bincount(v).argmax())
            if background_index is not None and c == background_index:
                continue
            ys, xs = np.nonzero(inst)
            boxes.append((xs.min(), ys.min(), xs.max() + 1, ys.max() + 1))
            labels.append(c)
    return (np.asarray(boxes, np.float32).reshape(-1, 4), np.asarray(labels, np.int64))


# ---------------------------------------------------------------------------------- points
def simulate_points(mask: np.ndarray, n_per_region: int = 1, rng=None, min_area: int = 0,
                    background_index: int | None = None, ignore_index: int = IGNORE,
                    top_fraction: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Interior points ``(M, 2)`` int (x, y) and their labels ``(M,)``.

    For every region of at least ``min_area`` pixels (``background_index`` skipped):
    Euclidean distance transform of the region (pixels outside it, and outside the image,
    count as border); candidates = region pixels whose distance is at least
    ``top_fraction`` x the region's maximum distance; ``n_per_region`` distinct candidates
    drawn uniformly without replacement. If there are fewer candidates than
    ``n_per_region``, the draw is over the whole region; a region smaller than
    ``n_per_region`` pixels gives all its pixels.
    """
    rng = as_rng(rng)
    pts, labels = [], []
    for c, sl, comp in regions(mask, ignore_index, background_index, min_area):
        dist = ndi.distance_transform_edt(np.pad(comp, 1))[1:-1, 1:-1]
        cand = np.argwhere(dist >= top_fraction * dist.max())
        if len(cand) < n_per_region:
            cand = np.argwhere(comp)
        pick = cand[rng.choice(len(cand), size=min(n_per_region, len(cand)), replace=False)]
        for y, x in pick:
            pts.append((x + sl[1].start, y + sl[0].start))
            labels.append(c)
    return np.asarray(pts, np.int64).reshape(-1, 2), np.asarray(labels, np.int64)


# ------------------------------------------------------------------------------- scribbles
def _longest_path(skel: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Ordered (n, 2) row/col pixels of a near-longest geodesic path in the skeleton.

    The skeleton is a graph (8-neighbours, diagonal steps cost sqrt 2). From a random pixel of
    its largest component: farthest pixel ``a``, then the farthest ``b`` from ``a``; the
    path is the shortest ``a``-``b`` path (a double sweep, exact on trees).
    """
    yx = np.argwhere(skel)
    n = len(yx)
    if n == 1:
        return yx
    index = np.full(skel.shape, -1, np.int64)
    index[yx[:, 0], yx[:, 1]] = np.arange(n)
    pad = np.pad(index, 1, constant_values=-1)
    rows, cols, w = [], [], []
    for dy, dx in ((0, 1), (1, 0), (1, 1), (1, -1)):
        nb = pad[1 + yx[:, 0] + dy, 1 + yx[:, 1] + dx]
        ok = nb >= 0
        rows.append(np.arange(n)[ok])
        cols.append(nb[ok])
        w.append(np.full(ok.sum(), math.hypot(dy, dx)))
    g = coo_matrix((np.concatenate(w), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n))
    g = g.tocsr()
    lab, _ = ndi.label(skel, structure=EIGHT)
    comp_of = lab[yx[:, 0], yx[:, 1]]
    largest = np.bincount(comp_of)[1:].argmax() + 1
    start = rng.choice(np.flatnonzero(comp_of == largest))
    d = dijkstra(g, directed=False, indices=start)
    a = int(np.where(np.isfinite(d), d, -1).argmax())
    d, pred = dijkstra(g, directed=False, indices=a, return_predecessors=True)
    b = int(np.where(np.isfinite(d), d, -1).argmax())
    order = [b]
    while order[-1] != a:
        order.append(int(pred[order[-1]]))
    return yx[order[::-1]]


@dataclass
class _Region:
    cls: int
    sl: tuple
    comp: np.ndarray          # the region's pixels in its (padded) box
    strokes: np.ndarray       # stroke pixels drawn so far
    free: np.ndarray          # region pixels still open to a new stroke
    saturated: bool = False
    path: np.ndarray | None = None   # the current stroke's skeleton path, and
    lo: int = 0                      # the stretch path[lo:hi] drawn so far
    hi: int = 0
    per_px: float = 1.0              # stroke pixels per path pixel

    @property
    def area(self) -> int:
        return int(self.comp.sum())

    def thick(self, lo: int, hi: int, brush: np.ndarray) -> np.ndarray:
        """New pixels of the stretch ``path[lo:hi]`` thickened by ``brush``, within the region."""
        line = np.zeros_like(self.comp)
        line[self.path[lo:hi, 0], self.path[lo:hi, 1]] = True
        return ndi.binary_dilation(line, brush) & self.comp & ~self.strokes


def _new_path(r: _Region, brush: np.ndarray, rng: np.random.Generator) -> bool:
    """Start a stroke on the near-longest path of the free part's skeleton; False if none."""
    core = ndi.binary_erosion(r.free, brush) if brush.size > 1 else r.free
    skel = skeletonize(core)
    if not skel.any() and not r.strokes.any():
        skel = skeletonize(r.free)        # too thin for the brush: stroke clipped to the region
    if not skel.any():
        return False
    r.path = _longest_path(skel, rng)
    r.lo = r.hi = -1                       # placed by the first extension
    line = np.zeros_like(r.comp)
    line[r.path[:, 0], r.path[:, 1]] = True
    r.per_px = max((ndi.binary_dilation(line, brush) & r.comp & ~r.strokes).sum() / len(r.path), 1.0)
    return True


def _grow(r: _Region, budget: float, brush: np.ndarray, gap: np.ndarray,
          rng: np.random.Generator) -> int:
    """Draw strokes in ``r`` until about ``budget`` more pixels are labelled; returns the count.

    A stroke follows the near-longest path of the skeleton of the region's free part eroded
    by the brush (so the thickened stroke stays inside). It starts as a random contiguous
    stretch of the length the budget needs; later budget first lengthens the same stretch
    along its path, and only when the path is used up starts a new stroke beside it (the free
    part excludes earlier strokes plus a gap of one stroke width). Each stretch is thickened
    with the brush and clipped to the region. A region too thin to survive the erosion gets
    the skeleton of its uneroded self for its first stroke.
    """
    added = 0
    while budget - added > 0.5 and not r.saturated:
        if r.path is None or (r.lo == 0 and r.hi == len(r.path)):
            if not _new_path(r, brush, rng):
                r.saturated = True
                break
        n = len(r.path)
        k = max(1, math.ceil((budget - added) / r.per_px))
        if r.lo < 0:                      # a fresh path: random start for a stretch of k
            k = min(k, n)
            r.lo = r.hi = int(rng.integers(0, n - k + 1))
        while True:                       # extend at the end, then the start; shrink on overshoot
            hi = min(r.hi + k, n)
            lo = max(r.lo - (k - (hi - r.hi)), 0)
            new = r.thick(lo, hi, brush)
            if k == 1 or new.sum() <= budget - added + r.per_px / 2:
                break
            k -= 1
        r.lo, r.hi = lo, hi
        r.strokes |= new
        added += int(new.sum())
        r.free &= ~ndi.binary_dilation(r.strokes, gap)
    return added


def simulate_scribbles(mask: np.ndarray, coverage: float = 0.03, rng=None, width: int = 3,
                       background_index: int | None = None, min_area: int = 16,
                       ignore_index: int = IGNORE, max_rounds: int = 4) -> np.ndarray:
    """Scribble map (H, W) uint8, 255 = unlabelled, with about ``coverage`` x H x W labelled pixels.

    Procedure: every region (8-connected component of one class) with at least ``min_area``
    pixels takes part; ``background_index``, when given, is left unscribbled (by default
    every class, background included, gets strokes, as in ScribbleSup). The pixel budget
    ``coverage * H * W`` is split over regions in proportion to sqrt(region area), after a
    floor of ``min(3 * width, budget / n_regions)`` pixels per region so that every region
    (hence every class above ``min_area``) gets a stroke; regions are drawn in a random order
    and each takes its share of what is still unspent, so over- and undershoot of earlier
    regions is absorbed by later ones. Each region draws strokes as in :func:`_grow`: skeleton
    (``skimage.morphology.skeletonize``) of the eroded region, a random contiguous stretch of
    its longest path, thickened by a disk brush of diameter ``width`` and clipped to the region,
    so a stroke pixel always carries its region's class. Budget that saturated regions could
    not take is re-split over the others for up to ``max_rounds`` rounds.

    Achieved coverage (31 CamVid 240x180 training masks, width 3, min_area 16): 1.00x-1.02x
    of the target at 3% and 10%; 1.00x-1.36x (median 1.05x) at 1%, where images with many
    small regions spend more than the budget on the one-stroke-per-region minimum (a brush
    dab). It rises with the target, and falls short only when strokes fill every region
    (far above 10% at width 3). The tests allow 0.5x-1.5x.
    """
    mask = _check_mask(mask)
    if width < 1 or width % 2 == 0:
        raise ValueError(f'scribble width must be a positive odd number of pixels, got {width}')
    if not 0 <= coverage <= 1:
        raise ValueError(f'scribble coverage must be in [0, 1], got {coverage}')
    rng = as_rng(rng)
    out = np.full(mask.shape, IGNORE, np.uint8)
    if coverage == 0:
        return out
    brush = disk((width - 1) // 2).astype(bool)
    gap = disk(width).astype(bool)
    h, w = mask.shape
    regs = []
    for c, sl, comp in regions(mask, ignore_index, background_index, min_area):
        # pad the box by one pixel inside the image so erosion sees the true region border
        y0, y1 = max(sl[0].start - 1, 0), min(sl[0].stop + 1, h)
        x0, x1 = max(sl[1].start - 1, 0), min(sl[1].stop + 1, w)
        full = np.zeros((y1 - y0, x1 - x0), bool)
        full[sl[0].start - y0:sl[0].stop - y0, sl[1].start - x0:sl[1].stop - x0] = comp
        regs.append(_Region(c, (slice(y0, y1), slice(x0, x1)), full, np.zeros_like(full), full.copy()))
    if not regs:
        return out
    target = coverage * h * w
    weight = np.sqrt([r.area for r in regs])
    floor = min(3 * width, target / len(regs))
    done, w_left = 0, weight.sum()
    for n_left, i in enumerate(rng.permutation(len(regs))[::-1], start=1):
        share = max(target - done - floor * n_left, 0.0) * weight[i] / w_left
        done += _grow(regs[i], floor + share, brush, gap, rng)
        w_left -= weight[i]
    for _ in range(max_rounds):
        short = target - done
        open_ = [i for i, r in enumerate(regs) if not r.saturated]
        if short < 1 or not open_:
            break
        ws = weight[open_] / weight[open_].sum()
        done += sum(_grow(regs[i], short * f, brush, gap, rng) for i, f in zip(open_, ws))
    for r in regs:
        out[r.sl][r.strokes] = r.cls
    return out


# ---------------------------------------------------------------------------------- all
_FUNCS = dict(boxes=simulate_boxes, scribbles=simulate_scribbles, points=simulate_points)


def simulate_weak_labels(mask: np.ndarray, kinds=KINDS, seed: int = 0, source: str = '',
                         **params) -> WeakLabels:
    """All requested kinds of weak label for one mask, as a :class:`WeakLabels`.

    ``params`` go to every simulate function whose signature names them (e.g. ``coverage``
    and ``width`` to scribbles, ``n_per_region`` to points, ``min_area`` and
    ``background_index`` to boxes, scribbles and points); an unknown name is a ValueError.
    Scribbles and points draw from independent streams ``default_rng([seed, k])`` (k = 0 for
    scribbles, 1 for points), so asking for one kind does not change the other. The fraction
    of labelled pixels is ``result.labelled_fraction()``.
    """
    kinds = (kinds,) if isinstance(kinds, str) else tuple(kinds)
    bad = set(kinds) - set(KINDS)
    if bad:
        raise ValueError(f'unknown weak-label kinds {sorted(bad)}; expected some of {KINDS}')
    accepted = {p for f in _FUNCS.values() for p in inspect.signature(f).parameters} - {'mask', 'rng'}
    unknown = set(params) - accepted
    if unknown:
        raise ValueError(f'unknown simulation parameters {sorted(unknown)}; accepted: {sorted(accepted)}')

    def call(kind, **extra):
        f = _FUNCS[kind]
        names = inspect.signature(f).parameters
        return f(mask, **extra, **{k: v for k, v in params.items() if k in names})

    mask = _check_mask(mask)
    weak = WeakLabels(image_size=mask.shape, source=source)
    if 'tags' in kinds:
        weak.tags = simulate_tags(mask, params.get('ignore_index', IGNORE))
    if 'boxes' in kinds:
        weak.boxes, weak.box_labels = call('boxes')
    if 'scribbles' in kinds:
        weak.scribbles = call('scribbles', rng=np.random.default_rng([seed, 0]))
    if 'points' in kinds:
        weak.points, weak.point_labels = call('points', rng=np.random.default_rng([seed, 1]))
    return weak
