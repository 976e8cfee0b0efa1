"""Data model: :class:`WeakLabels` for one image, and class metadata with palettes.

Conventions used everywhere in wsseg:
- class indices are ints in ``0..K-1``; ``255`` means unlabelled / ignore;
- boxes are ``(x1, y1, x2, y2)`` float pixel coordinates, 0-based, ``x2``/``y2`` exclusive
  (a VOC box ``xmin..xmax`` in 1-based inclusive pixels is ``(xmin-1, ymin-1, xmax, ymax)``);
- points are ``(x, y)`` integer pixel coordinates (column, row).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from wsseg.utils.io import DataError

IGNORE = 255


def _arr(x, dtype, shape_tail=()) -> np.ndarray:
    a = np.asarray([] if x is None else x, dtype=dtype)
    return a.reshape((-1, *shape_tail)) if shape_tail or a.ndim != 1 else a


@dataclass
class WeakLabels:
    """Every weak annotation of one image, in that image's pixel frame.

    Any field may be empty: an image may carry only tags, or boxes and scribbles, etc.
    """
    image_size: tuple[int, int]                        # (H, W)
    tags: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    boxes: np.ndarray = field(default_factory=lambda: np.zeros((0, 4), np.float32))
    box_labels: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    scribbles: np.ndarray | None = None                # (H, W) uint8, 255 = unlabelled
    points: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), np.int64))
    point_labels: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    source: str = ''                                   # file / id, used in error messages
    # (H, W) int32 superpixel ids of the whole image (-1 = none, e.g. padding), computed once per
    # image by the ComputeSuperpixels transform and cropped / flipped with it; not an annotation
    superpixels: np.ndarray | None = None
    # (N, 2) bool per box: a crop cut it in x (its left or right side) / in y (top or bottom).
    # A box that is not cut in x still has its class in every row, and likewise for columns;
    # a cut box need not (the region's part inside the crop may not reach every line).
    box_cut: np.ndarray | None = None

    def __post_init__(self):
        self.image_size = (int(self.image_size[0]), int(self.image_size[1]))
        self.tags = np.unique(_arr(self.tags, np.int64))
        self.boxes = _arr(self.boxes, np.float32, (4,))
        self.box_labels = _arr(self.box_labels, np.int64)
        self.points = _arr(self.points, np.int64, (2,))
        self.point_labels = _arr(self.point_labels, np.int64)
        self.box_cut = (np.zeros((len(self.boxes), 2), bool) if self.box_cut is None
                        else _arr(self.box_cut, bool, (2,)))
        if self.scribbles is not None:
            self.scribbles = np.asarray(self.scribbles, np.uint8)
        if self.superpixels is not None:
            self.superpixels = np.asarray(self.superpixels, np.int32)

    # ---------------------------------------------------------------- checks
    def validate(self, num_classes: int) -> 'WeakLabels':
        """Raise :class:`DataError` naming ``source`` for any inconsistent annotation."""
        h, w = self.image_size
        src = self.source or '<weak labels>'
        if len(self.boxes) != len(self.box_labels):
            raise DataError(f'{src}: {len(self.boxes)} boxes but {len(self.box_labels)} box labels')
        self.box_cut = self.cut_flags()
        if len(self.points) != len(self.point_labels):
            raise DataError(f'{src}: {len(self.points)} points but {len(self.point_labels)} point labels')
        for name, labels in (('tag', self.tags), ('box label', self.box_labels),
                             ('point label', self.point_labels)):
            bad = labels[(labels < 0) | (labels >= num_classes)]
            if bad.size:
                raise DataError(f'{src}: {name} {bad.tolist()} outside the class range 0..{num_classes - 1}')
        for i, (x1, y1, x2, y2) in enumerate(self.boxes):
            if not (x2 > x1 and y2 > y1):
                raise DataError(f'{src}: box {i} {[float(v) for v in (x1, y1, x2, y2)]} is degenerate '
                                '(zero or negative width or height)')
            if x1 < 0 or y1 < 0 or x2 > w or y2 > h:
                raise DataError(f'{src}: box {i} {[float(v) for v in (x1, y1, x2, y2)]} lies outside '
                                f'the image ({w}x{h})')
        if len(self.points):
            x, y = self.points[:, 0], self.points[:, 1]
            out = (x < 0) | (x >= w) | (y < 0) | (y >= h)
            if out.any():
                raise DataError(f'{src}: points {self.points[out].tolist()} lie outside the image ({w}x{h})')
        if self.scribbles is not None:
            if self.scribbles.shape != (h, w):
                raise DataError(f'{src}: scribble map is {self.scribbles.shape[1]}x{self.scribbles.shape[0]}'
                                f' but the image is {w}x{h}')
            vals = np.unique(self.scribbles)
            bad = vals[(vals >= num_classes) & (vals != IGNORE)]
            if bad.size:
                raise DataError(f'{src}: scribble classes {bad.tolist()} outside 0..{num_classes - 1}')
        if self.superpixels is not None and self.superpixels.shape != (h, w):
            raise DataError(f'{src}: superpixel map is {self.superpixels.shape[1]}x{self.superpixels.shape[0]}'
                            f' but the image is {w}x{h}')
        return self

    def add_boxes(self, boxes, labels) -> None:
        """Append whole-image boxes (N, 4) xyxy and their labels (N,), uncut."""
        boxes = _arr(boxes, np.float32, (4,))
        self.boxes = np.concatenate([self.boxes, boxes])
        self.box_labels = np.concatenate([self.box_labels, _arr(labels, np.int64).reshape(-1)])
        self.box_cut = np.concatenate([self.box_cut, np.zeros((len(boxes), 2), bool)])

    def cut_flags(self) -> np.ndarray:
        """``box_cut`` for every box: boxes appended without flags (a plugin that extends
        ``boxes`` at load time, before any crop) are whole-image boxes, hence uncut."""
        n, m = len(self.boxes), len(self.box_cut)
        if m > n:
            raise DataError(f'{self.source or "<weak labels>"}: {n} boxes but {m} box_cut flags '
                            '(boxes were removed without their flags)')
        return self.box_cut if m == n else np.concatenate([self.box_cut, np.zeros((n - m, 2), bool)])

    # ---------------------------------------------------------------- views
    @property
    def is_empty(self) -> bool:
        return (not len(self.tags) and not len(self.boxes) and not len(self.points)
                and (self.scribbles is None or not (self.scribbles != IGNORE).any()))

    def partial_mask(self) -> np.ndarray:
        """Scribbles and points as one (H, W) uint8 map, 255 where unlabelled."""
        m = (np.full(self.image_size, IGNORE, np.uint8) if self.scribbles is None
             else self.scribbles.copy())
        if len(self.points):
            m[self.points[:, 1], self.points[:, 0]] = self.point_labels.astype(np.uint8)
        return m

    def labelled_fraction(self) -> float:
        """Fraction of pixels that carry a class from scribbles or points."""
        return float((self.partial_mask() != IGNORE).mean())

    def all_tags(self) -> np.ndarray:
        """Tags, plus every class named by a box, scribble or point."""
        parts = [self.tags, self.box_labels, self.point_labels]
        if self.scribbles is not None:
            v = np.unique(self.scribbles)
            parts.append(v[v != IGNORE].astype(np.int64))
        return np.unique(np.concatenate(parts))

    # ---------------------------------------------------------------- geometry
    def flip_horizontal(self) -> 'WeakLabels':
        h, w = self.image_size
        boxes = self.boxes.copy()
        boxes[:, [0, 2]] = w - self.boxes[:, [2, 0]]
        pts = self.points.copy()
        pts[:, 0] = w - 1 - self.points[:, 0]
        scr = None if self.scribbles is None else self.scribbles[:, ::-1].copy()
        sp = None if self.superpixels is None else self.superpixels[:, ::-1].copy()
        return replace(self, boxes=boxes, points=pts, scribbles=scr, superpixels=sp)

    def crop(self, y0: int, x0: int, h: int, w: int) -> 'WeakLabels':
        """Restrict to the window rows y0..y0+h, cols x0..x0+w; boxes are clipped, dropped if
        empty, and ``box_cut`` records which were cut in x and in y."""
        shifted = self.boxes - np.array([x0, y0, x0, y0], np.float32)
        boxes = shifted.copy()
        boxes[:, [0, 2]] = np.clip(boxes[:, [0, 2]], 0, w)
        boxes[:, [1, 3]] = np.clip(boxes[:, [1, 3]], 0, h)
        changed = boxes != shifted
        cut = self.cut_flags() | np.stack([changed[:, 0] | changed[:, 2], changed[:, 1] | changed[:, 3]], 1)
        keep = (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])
        pts = self.points - np.array([x0, y0])
        pk = (pts[:, 0] >= 0) & (pts[:, 0] < w) & (pts[:, 1] >= 0) & (pts[:, 1] < h)
        scr = None if self.scribbles is None else self.scribbles[y0:y0 + h, x0:x0 + w].copy()
        sp = None if self.superpixels is None else self.superpixels[y0:y0 + h, x0:x0 + w].copy()
        return replace(self, image_size=(h, w), boxes=boxes[keep], box_labels=self.box_labels[keep],
                       box_cut=cut[keep],
                       points=pts[pk], point_labels=self.point_labels[pk], scribbles=scr, superpixels=sp)

    def resize(self, size: tuple[int, int]) -> 'WeakLabels':
        """Rescale to ``size`` = (H, W). Scribbles use nearest neighbour, so no class is invented."""
        import cv2
        h, w = self.image_size
        nh, nw = size
        sx, sy = nw / w, nh / h
        boxes = self.boxes * np.array([sx, sy, sx, sy], np.float32)
        pts = np.floor((self.points + 0.5) * np.array([sx, sy])).astype(np.int64)
        pts = np.minimum(pts, np.array([nw - 1, nh - 1]))
        scr = sp = None
        if self.scribbles is not None:
            scr = cv2.resize(self.scribbles, (nw, nh), interpolation=cv2.INTER_NEAREST)
        if self.superpixels is not None:
            sp = cv2.resize(self.superpixels, (nw, nh), interpolation=cv2.INTER_NEAREST)
        return replace(self, image_size=(nh, nw), boxes=boxes, points=pts, scribbles=scr, superpixels=sp)


@dataclass(frozen=True)
class ClassMeta:
    """Class names and a palette (K, 3) uint8."""
    classes: tuple[str, ...]
    palette: np.ndarray

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    def index(self, name: str, source: str = '') -> int:
        """Class index of ``name``; an unknown name is a :class:`DataError` naming ``source``."""
        try:
            return self.classes.index(name)
        except ValueError:
            raise DataError(f'{source}: unknown class name {name!r}; expected one of '
                            f'{list(self.classes)}') from None


def voc_palette(n: int = 256) -> np.ndarray:
    """The standard bit-interleaved PASCAL VOC colour map, (n, 3) uint8."""
    pal = np.zeros((n, 3), np.uint8)
    for i in range(n):
        c, r, g, b = i, 0, 0, 0
        for j in range(8):
            r |= ((c >> 0) & 1) << (7 - j)
            g |= ((c >> 1) & 1) << (7 - j)
            b |= ((c >> 2) & 1) << (7 - j)
            c >>= 3
        pal[i] = (r, g, b)
    return pal


def make_palette(n: int, seed: int = 0) -> np.ndarray:
    """A distinct palette for ``n`` classes (VOC colours, which are distinct for n < 256)."""
    return voc_palette(256)[:n].copy()
