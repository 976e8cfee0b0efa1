"""Prompts and class-map assembly shared by the SAM pseudo-labellers
(:mod:`wsseg.pseudo.sam_logic`, :mod:`wsseg.pseudo.sam_box`).

:func:`build_prompts` turns an image's weak labels into SAM prompts: one per box (plus
scribble points of its class inside it as positive points and of other classes as negative
ones), and one point prompt per scribble component of a class that has no box.

Class-map assembly (:func:`assemble_class_map`, see ``docs/methods/logic_sam.md``): a pixel is
background where every prompt's foreground probability is below ``threshold`` (0.5), else it
takes the class of the most probable prompt; on a tie the prompt with the smaller box wins.
Without a background class, the below-threshold pixels are 255 (undecided).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from scipy import ndimage

from wsseg.structures import IGNORE, WeakLabels
from wsseg.utils.io import DataError

ABSENT_LOGIT = -30.0      # logit of a class no prompt names (its probability is ~1e-13)


# ----------------------------------------------------------------------------- assembly
def class_logits(prompt_logits: torch.Tensor, labels: np.ndarray, num_classes: int,
                 background_index: int | None) -> torch.Tensor:
    """Differentiable (K, H, W) class logits from per-prompt foreground logits (N, H, W).

    Class c gets the max logit of its prompts, background gets 0, unprompted classes
    ``ABSENT_LOGIT``. Softmax then gives a lone class c ``sigmoid(logit)`` and its argmax is
    exactly :func:`assemble_class_map` at threshold 0.5.
    """
    h, w = prompt_logits.shape[-2:]
    rows = []
    labels = np.asarray(labels, np.int64)
    for c in range(num_classes):
        sel = np.nonzero(labels == c)[0]
        if c == background_index and not len(sel):
            rows.append(prompt_logits.new_zeros(h, w))
        elif len(sel):
            rows.append(prompt_logits[torch.as_tensor(sel, device=prompt_logits.device)].amax(0))
        else:
            rows.append(prompt_logits.new_full((h, w), ABSENT_LOGIT))
    return torch.stack(rows)


def assemble_class_map(probs: np.ndarray, labels: np.ndarray, areas: np.ndarray,
                       background_index: int | None, threshold: float = 0.5
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Per-prompt foreground probabilities (N, H, W) -> (class map uint8, confidence float32).

    - background: where the largest foreground probability is below ``threshold`` the pixel
      is ``background_index`` with confidence ``1 - max``; with ``background_index=None`` it
      is 255 (undecided) with confidence 0;
    - overlap: otherwise the most probable prompt's class wins (confidence = its
      probability); on an exact tie the prompt with the smaller ``areas`` entry wins (box
      area; point-only prompts pass ``inf``), then the earlier prompt.
    With no prompt at all every pixel is background (or 255 without a background class).
    """
    probs = np.asarray(probs, np.float32)
    labels = np.asarray(labels, np.int64)
    if probs.ndim != 3 or len(labels) != len(probs) or len(areas) != len(probs):
        raise ValueError(f'expected probs (N, H, W) with N labels and areas, got {probs.shape}, '
                         f'{len(labels)} labels, {len(areas)} areas')
    h, w = probs.shape[1:]
    fill = IGNORE if background_index is None else background_index
    if not len(probs):
        return (np.full((h, w), fill, np.uint8),
                np.full((h, w), 0.0 if background_index is None else 1.0, np.float32))
    order = np.argsort(np.asarray(areas, np.float64), kind='stable')
    p = probs[order]
    win = p.argmax(0)                        # first maximum = smallest area on a tie
    pmax = np.take_along_axis(p, win[None], 0)[0]
    mask = labels[order][win].astype(np.uint8)
    conf = pmax.copy()
    low = pmax < threshold
    mask[low] = fill
    conf[low] = 0.0 if background_index is None else 1.0 - pmax[low]
    return mask, conf


# ----------------------------------------------------------------------------- prompts
@dataclass
class Prompts:
    """One image's prompts in the original pixel frame."""
    labels: np.ndarray          # (N,) class per prompt: box prompts first, then point prompts
    areas: np.ndarray           # (N,) box area, inf for point-only prompts
    boxes: np.ndarray           # (Nb, 4) xyxy
    box_points: np.ndarray      # (Nb, P, 2) xy, label -1 = padding
    box_point_labels: np.ndarray
    points: np.ndarray          # (Np, Q, 2) xy
    point_labels: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)


def spread_points(ys: np.ndarray, xs: np.ndarray, k: int) -> np.ndarray:
    """Up to ``k`` (x, y) pixels spread over a pixel set: farthest-point sampling from the
    pixel nearest the centroid (deterministic)."""
    if k <= 0 or not len(ys):
        return np.zeros((0, 2), np.int64)
    pts = np.stack([xs, ys], 1).astype(np.float64)
    first = int(np.argmin(((pts - pts.mean(0)) ** 2).sum(1)))
    chosen = [first]
    d = ((pts - pts[first]) ** 2).sum(1)
    while len(chosen) < min(k, len(pts)):
        nxt = int(np.argmax(d))
        if d[nxt] == 0:
            break
        chosen.append(nxt)
        d = np.minimum(d, ((pts - pts[nxt]) ** 2).sum(1))
    return pts[chosen].astype(np.int64)


def _pad(groups: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    n = max([len(p) for p, _ in groups] + [1])
    pts = np.zeros((len(groups), n, 2), np.int64)
    lab = -np.ones((len(groups), n), np.int64)
    for i, (p, l) in enumerate(groups):
        pts[i, :len(p)], lab[i, :len(p)] = p, l
    return pts, lab


def build_prompts(weak: WeakLabels, background_index: int | None, box_pos_points: int = 2,
                  box_neg_points: int = 1, scribble_prompts: bool = True,
                  points_per_prompt: int = 4, max_components: int = 4) -> Prompts:
    """One prompt per box (plus scribble points of its class inside it as positive points and
    of other classes as negative ones) and, with ``scribble_prompts``, one point prompt per
    8-connected scribble component (largest ``max_components``) of each non-background class
    that has no box. Background boxes and scribbles prompt nothing."""
    partial = weak.partial_mask()
    labels, areas, box_groups, pt_groups, boxes = [], [], [], [], []
    for box, c in zip(weak.boxes, weak.box_labels):
        if c == background_index:
            continue
        x1, y1, x2, y2 = box
        r0, r1 = int(np.floor(y1)), int(np.ceil(y2))
        c0, c1 = int(np.floor(x1)), int(np.ceil(x2))
        win = partial[r0:r1, c0:c1]
        ys, xs = np.nonzero(win == c)
        pos = spread_points(ys + r0, xs + c0, box_pos_points)
        ys, xs = np.nonzero((win != c) & (win != IGNORE))
        neg = spread_points(ys + r0, xs + c0, box_neg_points)
        box_groups.append((np.concatenate([pos, neg]),
                           np.concatenate([np.ones(len(pos)), np.zeros(len(neg))]).astype(np.int64)))
        boxes.append(box)
        labels.append(int(c))
        areas.append(float((x2 - x1) * (y2 - y1)))
    if scribble_prompts:
        boxed = set(int(c) for c in weak.box_labels)
        for c in np.unique(partial[partial != IGNORE]):
            if int(c) == background_index or int(c) in boxed:
                continue
            comp, n = ndimage.label(partial == c, structure=np.ones((3, 3), bool))
            sizes = ndimage.sum_labels(np.ones_like(comp), comp, index=np.arange(1, n + 1))
            for j in np.argsort(-sizes, kind='stable')[:max_components]:
                ys, xs = np.nonzero(comp == j + 1)
                pts = spread_points(ys, xs, points_per_prompt)
                pt_groups.append((pts, np.ones(len(pts), np.int64)))
                labels.append(int(c))
                areas.append(float('inf'))
    bp, bl = _pad(box_groups) if box_groups else (np.zeros((0, 1, 2), np.int64), np.zeros((0, 1), np.int64))
    pp, pl = _pad(pt_groups) if pt_groups else (np.zeros((0, 1, 2), np.int64), np.zeros((0, 1), np.int64))
    return Prompts(np.asarray(labels, np.int64), np.asarray(areas, np.float64),
                   np.asarray(boxes, np.float32).reshape(-1, 4), bp, bl, pp, pl)


def check_weak(weak: WeakLabels | None, path: str, hw: tuple[int, int], num_classes: int,
               class_names: tuple[str, ...] = ()) -> bool:
    """Raise :class:`DataError` naming the image for a zero-area box, an unknown scribble or
    box class, or weak labels of another size; return False when there are no weak labels."""
    if weak is None or weak.is_empty:
        return False
    if tuple(weak.image_size) != tuple(hw):
        raise DataError(f'{path}: weak labels are for a {weak.image_size[1]}x{weak.image_size[0]} '
                        f'image but the image is {hw[1]}x{hw[0]}')
    if len(weak.boxes) != len(weak.box_labels):
        raise DataError(f'{path}: {len(weak.boxes)} boxes but {len(weak.box_labels)} box labels')
    known = f'known classes 0..{num_classes - 1}' + (f' {list(class_names)}' if class_names else '')
    for i, ((x1, y1, x2, y2), c) in enumerate(zip(weak.boxes, weak.box_labels)):
        if not (x2 > x1 and y2 > y1):
            raise DataError(f'{path}: box {i} {[float(v) for v in (x1, y1, x2, y2)]} has zero area')
        if not 0 <= c < num_classes:
            raise DataError(f'{path}: box {i} has unknown class {int(c)} ({known})')
    partial = weak.partial_mask()
    vals = np.unique(partial)
    bad = vals[(vals >= num_classes) & (vals != IGNORE)]
    if bad.size:
        raise DataError(f'{path}: scribble of unknown class {bad.tolist()} ({known})')
    return True


def unpack(results: dict) -> tuple[np.ndarray, WeakLabels | None, str]:
    """(RGB uint8 HWC image, weak labels, image path) from a raw or packed pipeline output."""
    if 'inputs' in results:
        s = results['data_samples']
        img = results['inputs'].permute(1, 2, 0).cpu().numpy()
        return np.ascontiguousarray(img.astype(np.uint8)), s.weak, str(s.img_path)
    return (np.ascontiguousarray(np.asarray(results['img'], np.uint8)), results.get('weak'),
            str(results.get('img_path', '<image>')))


# ----------------------------------------------------------------------------- labellers
