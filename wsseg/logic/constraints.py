"""Logic constraints from weak labels: boxes, scribbles, points and tags.

A constraint is a class registered in ``CONSTRAINTS`` and called as
``constraint(logp, weak, images) -> Tensor[B]``, where ``logp`` is the network's log-softmax
(B, K, H, W), ``weak`` the per-image :class:`~wsseg.structures.WeakLabels` (``None`` allowed)
and ``images`` the (B, 3, H, W) RGB input in [0, 1]. The atom ``is(p, C)`` is ``logp[C, p]``.

Every constraint is a universally quantified formula; the value returned for an image is the
**mean log-truth over its groundings** (a grounding is one pixel, one box row or column, one
scribble pixel, one tag, one pixel pair ... as each class says), i.e. ``forall`` divided by the
number of groundings, so weights are comparable across image sizes and annotation counts.
An image with no grounding (no relevant annotation) gets ``0``: the formula is vacuously true.

Frames: each image's weak labels live in the top-left ``weak.image_size`` window of the
(possibly padded) batch; pixels outside that window are never grounded.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import torch
from torch import Tensor

from wsseg.logic.registry import CONSTRAINTS
from wsseg.logic.tnorm import exists, lnot
from wsseg.structures import IGNORE, WeakLabels
from wsseg.utils.io import DataError


def weak_source(weak: WeakLabels | None) -> str:
    return (weak.source if weak is not None and weak.source else '<weak labels>')


def frame(weak: WeakLabels | None, height: int, width: int) -> tuple[int, int]:
    """The (h, w) window of the batch that an image's weak labels cover."""
    if weak is None:
        return height, width
    h, w = weak.image_size
    if h > height or w > width:
        raise DataError(f'{weak_source(weak)}: weak labels are {w}x{h} but the prediction is '
                        f'only {width}x{height}')
    return h, w


def box_window(box: Sequence[float], h: int, w: int) -> tuple[int, int, int, int]:
    """Integer rows ``r0:r1`` and columns ``c0:c1`` that a float xyxy box touches."""
    x1, y1, x2, y2 = (float(v) for v in box)
    r0, r1 = max(0, math.floor(y1)), min(h, math.ceil(y2))
    c0, c1 = max(0, math.floor(x1)), min(w, math.ceil(x2))
    return r0, r1, c0, c1


def image_tags(weak: WeakLabels) -> np.ndarray:
    """``weak.tags``, else every class named by any annotation (``weak.all_tags()``)."""
    return weak.tags if len(weak.tags) else weak.all_tags()


def check_classes(labels: np.ndarray, num_classes: int, what: str, weak: WeakLabels) -> None:
    bad = labels[(labels < 0) | (labels >= num_classes)]
    if bad.size:
        raise DataError(f'{weak_source(weak)}: {what} {sorted(set(bad.tolist()))} outside the '
                        f'class range 0..{num_classes - 1} of the prediction')


class Constraint:
    """Base class: check the inputs, then ``forward`` returns one log-truth per image.

    ``background_index`` is the background class (``None``: the label set has none).
    """

    needs_images = False

    def __init__(self, background_index: int | None = 0):
        self.background_index = None if background_index is None else int(background_index)

    @property
    def name(self) -> str:
        return type(self).__name__

    def __call__(self, logp: Tensor, weak: Sequence[WeakLabels | None],
                 images: Tensor | None = None) -> Tensor:
        if logp.ndim != 4:
            raise ValueError(f'{self.name}: logp must be (B, K, H, W), got {tuple(logp.shape)}')
        b, k, h, w = logp.shape
        weak = list(weak) if weak is not None else []
        if len(weak) != b:
            if len(weak):
                raise ValueError(f'{self.name}: {len(weak)} weak labels for a batch of {b}')
            weak = [None] * b
        if self.background_index is not None and not 0 <= self.background_index < k:
            raise ValueError(f'{self.name}: background_index {self.background_index} is not '
                             f'a class of a {k}-class prediction')
        if self.needs_images:
            if images is None or images.ndim != 4 or images.shape[0] != b or images.shape[1] != 3 \
                    or tuple(images.shape[-2:]) != (h, w):
                got = None if images is None else tuple(images.shape)
                raise ValueError(f'{self.name} needs images of shape ({b}, 3, {h}, {w}), got {got}')
        return self.forward(logp, weak, images)

    def forward(self, logp: Tensor, weak: list[WeakLabels | None], images: Tensor | None) -> Tensor:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f'{self.name}(background_index={self.background_index})'


def _stack(values: list[Tensor | None], like: Tensor) -> Tensor:
    """One scalar per image; ``None`` (no grounding) becomes 0 = true."""
    zero = like.new_zeros(())
    return torch.stack([zero if v is None else v for v in values])


@CONSTRAINTS.register_module()
class OutsideBoxesBackground(Constraint):
    """Pixels outside every box are background: ``forall p outside boxes: is(p, bg)``.

    Groundings: the image's pixels that no box touches. Images without boxes give 0.
    """

    def __init__(self, background_index: int | None = 0):
        if background_index is None:
            raise ValueError('OutsideBoxesBackground needs a background_index')
        super().__init__(background_index)

    def forward(self, logp, weak, images):
        out = []
        for i, wk in enumerate(weak):
            h, w = frame(wk, *logp.shape[-2:])
            if wk is None or not len(wk.boxes):
                out.append(None)
                continue
            inside = torch.zeros(h, w, dtype=torch.bool, device=logp.device)
            for box in wk.boxes:
                r0, r1, c0, c1 = box_window(box, h, w)
                inside[r0:r1, c0:c1] = True
            outside = ~inside
            out.append(logp[i, self.background_index, :h, :w][outside].mean()
                       if outside.any() else None)
        return _stack(out, logp)


@CONSTRAINTS.register_module()
class OutsideClassBoxes(Constraint):
    """A class appears only inside its own boxes:
    ``forall p, forall C != bg: not in_box(p, C) -> not is(p, C)``.

    The per-class form of :class:`OutsideBoxesBackground`, for label sets with no background
    (CamVid: every region has a box, so no pixel is "outside every box", yet a pixel outside
    the car boxes is still not a car). With a background class it is left free everywhere.
    Groundings: the image's pixels (the violated classes of a pixel add up, as in
    :class:`TagsAbsent`). Images without boxes give 0.
    """

    def __init__(self, background_index: int | None = None):
        super().__init__(background_index)

    def forward(self, logp, weak, images):
        out = []
        k = logp.shape[1]
        for i, wk in enumerate(weak):
            h, w = frame(wk, *logp.shape[-2:])
            if wk is None or not len(wk.boxes):
                out.append(None)
                continue
            check_classes(wk.box_labels, k, 'box labels', wk)
            allowed = torch.zeros(k, h, w, dtype=torch.bool, device=logp.device)
            if self.background_index is not None:
                allowed[self.background_index] = True
            for box, c in zip(wk.boxes, wk.box_labels):
                r0, r1, c0, c1 = box_window(box, h, w)
                allowed[int(c), r0:r1, c0:c1] = True
            forbidden = lnot(logp[i, :, :h, :w]).masked_fill(allowed, 0.0)
            out.append(forbidden.sum(0).mean())
        return _stack(out, logp)


@CONSTRAINTS.register_module()
class BoxTightness(Constraint):
    """Every row and every column of a box holds a pixel of the box's class.

    ``forall box b, row r of b: exists x in r: is((r, x), class(b))``, likewise for columns.
    Groundings: the rows plus columns of all boxes of the image. A box that a crop cut in x
    (``WeakLabels.box_cut``) gives no rows and one cut in y no columns: the part of a region
    inside a crop need not reach every line of its clipped box (on 128x128 crops of CamVid,
    5.9% of clipped-box lines hold no pixel of their class), so those lines would ask for
    pixels that are not there.
    """

    def forward(self, logp, weak, images):
        out = []
        for i, wk in enumerate(weak):
            h, w = frame(wk, *logp.shape[-2:])
            if wk is None or not len(wk.boxes):
                out.append(None)
                continue
            check_classes(wk.box_labels, logp.shape[1], 'box labels', wk)
            # exists(x) = lnot(sum lnot x): negate each box class's map once, not once per box
            classes = sorted({int(c) for c in wk.box_labels})
            neg = dict(zip(classes, lnot(logp[i, classes, :h, :w])))
            sums = []                  # sum of lnot over each row and column, negated at once
            for box, c, (cut_x, cut_y) in zip(wk.boxes, wk.box_labels, wk.cut_flags()):
                r0, r1, c0, c1 = box_window(box, h, w)
                sub = neg[int(c)][r0:r1, c0:c1]
                if not sub.numel():
                    continue
                if not cut_x:
                    sums.append(sub.sum(1))          # rows
                if not cut_y:
                    sums.append(sub.sum(0))          # columns
            out.append(lnot(torch.cat(sums)).mean() if sums else None)
        return _stack(out, logp)


@CONSTRAINTS.register_module()
class ScribbleClass(Constraint):
    """Scribble pixels take their scribble's class: ``forall p scribbled c: is(p, c)``.

    With ``include_points`` (default) point annotations count as one-pixel scribbles.
    Groundings: the labelled pixels.
    """

    def __init__(self, include_points: bool = True, background_index: int | None = 0):
        super().__init__(background_index)
        self.include_points = bool(include_points)

    def forward(self, logp, weak, images):
        out = []
        k = logp.shape[1]
        for i, wk in enumerate(weak):
            h, w = frame(wk, *logp.shape[-2:])
            if wk is None:
                out.append(None)
                continue
            if self.include_points:
                labels = wk.partial_mask()
            elif wk.scribbles is not None:
                labels = wk.scribbles
            else:
                out.append(None)
                continue
            if labels.shape != (h, w):
                raise DataError(f'{weak_source(wk)}: scribble map is {labels.shape[1]}x{labels.shape[0]} '
                                f'but the weak labels are {w}x{h}')
            labelled = labels != IGNORE
            if not labelled.any():
                out.append(None)
                continue
            check_classes(labels[labelled].astype(np.int64), k, 'scribble classes', wk)
            ys, xs = np.nonzero(labelled)
            cls = torch.as_tensor(labels[ys, xs].astype(np.int64), device=logp.device)
            ys, xs = torch.as_tensor(ys, device=logp.device), torch.as_tensor(xs, device=logp.device)
            out.append(logp[i, cls, ys, xs].mean())
        return _stack(out, logp)


@CONSTRAINTS.register_module()
class PointClass(Constraint):
    """A point's pixel has the point's class. Groundings: the points."""

    def forward(self, logp, weak, images):
        out = []
        for i, wk in enumerate(weak):
            frame(wk, *logp.shape[-2:])
            if wk is None or not len(wk.points):
                out.append(None)
                continue
            check_classes(wk.point_labels, logp.shape[1], 'point labels', wk)
            pts = torch.as_tensor(wk.points, device=logp.device)
            cls = torch.as_tensor(wk.point_labels, device=logp.device)
            out.append(logp[i, cls, pts[:, 1], pts[:, 0]].mean())
        return _stack(out, logp)


def _checked_tags(wk: WeakLabels | None, k: int) -> np.ndarray:
    """The image's tags (``weak.tags``, else ``weak.all_tags()``), checked against ``k`` classes;
    empty when it has none."""
    tags = np.zeros(0, np.int64) if wk is None else image_tags(wk)
    if len(tags):
        check_classes(tags, k, 'tags', wk)
    return tags


@CONSTRAINTS.register_module()
class TagsAbsent(Constraint):
    """A class absent from the image's tags appears nowhere.

    ``forall p, forall C not in tags: not is(p, C)``; the background class is never taken as
    absent (tags name objects). Tags are ``weak.tags``, else ``weak.all_tags()``; with no tag
    at all, or no absent class, the image gives 0. Groundings: the image's pixels.
    """

    def forward(self, logp, weak, images):
        out = []
        k = logp.shape[1]
        for i, wk in enumerate(weak):
            h, w = frame(wk, *logp.shape[-2:])
            tags = _checked_tags(wk, k)
            if not len(tags):
                out.append(None)
                continue
            absent = sorted(set(range(k)) - set(tags.tolist()) - {self.background_index})
            if not absent:
                out.append(None)
                continue
            sub = logp[i, absent, :h, :w]
            out.append(lnot(sub).sum(0).mean())
        return _stack(out, logp)


@CONSTRAINTS.register_module()
class TagsPresent(Constraint):
    """A class in the image's tags appears somewhere: ``forall C in tags: exists p: is(p, C)``.

    Tags as in :class:`TagsAbsent` (here the background counts when it is tagged).
    Groundings: the tags.
    """

    def forward(self, logp, weak, images):
        out = []
        k = logp.shape[1]
        for i, wk in enumerate(weak):
            h, w = frame(wk, *logp.shape[-2:])
            tags = _checked_tags(wk, k)
            if not len(tags):
                out.append(None)
                continue
            sub = logp[i, torch.as_tensor(tags, device=logp.device), :h, :w]
            out.append(exists(sub.flatten(1), dim=1).mean())
        return _stack(out, logp)
