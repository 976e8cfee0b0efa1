"""SAM pseudo-labellers: the mask decoder fine-tuned with the logic loss, and a box baseline.

Per split, :class:`SamLogicPseudoLabeller` (1) computes each image's SAM embedding once
(disk cache, :mod:`wsseg.models.sam_cache`), (2) fine-tunes only the mask decoder with
:class:`~wsseg.logic.LogicLoss` on every image of the split, prompting with the image's boxes
and scribble points (one prompt per box; one per scribble component of a class that has no
box), (3) writes one class map per image. :class:`SamBoxPseudoLabeller` is SAM prompted by the
boxes alone, without fine-tuning.

Class-map assembly (:func:`assemble_class_map`, see ``docs/methods/logic_sam.md``): a pixel is
background where every prompt's foreground probability is below ``threshold`` (0.5), else it
takes the class of the most probable prompt; on a tie the prompt with the smaller box wins.
Without a background class, the below-threshold pixels are 255 (undecided).
"""
from __future__ import annotations

import hashlib
import json
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
from mmengine.utils import ProgressBar
from scipy import ndimage

import wsseg.logic  # noqa: F401  (registers LogicLoss and the constraints)
from wsseg.losses.base import SegBatch
from wsseg.models.sam import (build_sam_from_cfg, decode_prompts, freeze_for_decoder_tuning,
                              logits_to_frame, preprocess_image, transform_boxes,
                              transform_points)
from wsseg.models.sam_cache import EmbeddingCache
from wsseg.pseudo.base import PseudoLabeller
from wsseg.registry import MODELS, PSEUDO_LABELLERS
from wsseg.structures import IGNORE, WeakLabels
from wsseg.utils.io import DataError, atomic_write, write_json_atomic

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
@PSEUDO_LABELLERS.register_module()
class SamLogicPseudoLabeller(PseudoLabeller):
    """SAM with its mask decoder fine-tuned on the split by the logic loss.

    Args:
        sam: ``dict(type='vit_b', checkpoint=PATH)`` (or vit_l / vit_h), or
            ``dict(type='small', image_size=128, ...)`` for a random small SAM.
        checkpoint: if given, replaces ``sam['checkpoint']`` (``--checkpoint`` of the tool).
        num_classes: K; ``class_names`` only improves messages.
        loss: a ``LogicLoss`` config (its ``background_index`` should match).
        background_index: the background class, or None when the label set has none.
        finetune_epochs / lr / loss_size / seed: the decoder fine-tune (``loss_size``: the
            longest side at which the loss is evaluated).
        cache_dir: embedding cache folder (None: ``<out_dir>/sam_embeddings``).
        on_empty: image without weak labels: ``'warn'`` (write all-255, warn naming it) or
            ``'error'``.
        keep_weak: overwrite the map with the image's own scribbles / points.
        min_confidence: pixels below it become 255.
    """

    def __init__(self, sam: dict, num_classes: int, loss: dict | None = None,
                 checkpoint: str | None = None,
                 background_index: int | None = 0, class_names: tuple[str, ...] = (),
                 finetune_epochs: int = 5, lr: float = 1e-4, weight_decay: float = 0.0,
                 loss_size: int = 256, threshold: float = 0.5, box_pos_points: int = 2,
                 box_neg_points: int = 1, scribble_prompts: bool = True,
                 points_per_prompt: int = 4, max_components: int = 4,
                 cache_dir: str | None = None, on_empty: str = 'warn', keep_weak: bool = True,
                 min_confidence: float = 0.0, seed: int = 0, device: str | None = None):
        if on_empty not in ('warn', 'error'):
            raise ValueError(f"on_empty must be 'warn' or 'error', got {on_empty!r}")
        self.device = torch.device(device or ('cuda' if torch.cuda.is_available() else 'cpu'))
        self.sam_cfg = dict(sam) if isinstance(sam, dict) else None
        if checkpoint and self.sam_cfg is not None:      # tools/pseudo_label.py --checkpoint
            sam = self.sam_cfg = dict(self.sam_cfg, checkpoint=checkpoint)
        self.sam = freeze_for_decoder_tuning(build_sam_from_cfg(sam)).to(self.device)
        self.checkpoint = self.sam_cfg.get('checkpoint') if self.sam_cfg else None
        self.num_classes, self.background_index = int(num_classes), background_index
        self.class_names = tuple(class_names)
        loss = loss or dict(type='LogicLoss', constraints=default_constraints(background_index))
        self.loss = MODELS.build(dict(loss, background_index=background_index)
                                 if 'background_index' not in loss else loss)
        self.finetune_epochs, self.lr, self.weight_decay = int(finetune_epochs), lr, weight_decay
        self.loss_size, self.threshold, self.seed = int(loss_size), threshold, seed
        self.prompt_opts = dict(box_pos_points=box_pos_points, box_neg_points=box_neg_points,
                                scribble_prompts=scribble_prompts,
                                points_per_prompt=points_per_prompt, max_components=max_components)
        self.cache_dir, self.on_empty = cache_dir, on_empty
        self.keep_weak, self.min_confidence = keep_weak, min_confidence
        self._cache: EmbeddingCache | None = None
        self.decoder_source = 'initial'      # 'finetuned' or 'loaded:<file>' after run()
        self.history: list[float] = []       # mean loss per fine-tune epoch

    # ------------------------------------------------------------------ pieces
    def cache(self, root: str | Path | None = None) -> EmbeddingCache:
        if self._cache is None or (root is not None and self._cache.root != Path(root)):
            self._cache = EmbeddingCache.for_sam(root if root is not None else self.cache_dir,
                                                 self.sam, self.checkpoint)
        return self._cache

    @torch.no_grad()
    def embed(self, image: np.ndarray) -> torch.Tensor:
        """The (C, e, e) embedding of an RGB uint8 image, through the cache."""
        emb = self.cache().get(image, lambda: self.sam.image_encoder(preprocess_image(self.sam, image)))
        return emb.to(self.device)

    def prompt_logits(self, emb: torch.Tensor, prompts: Prompts, hw: tuple[int, int],
                      out_size: tuple[int, int]) -> torch.Tensor:
        """(N, *out_size) foreground logits of every prompt (decoder graph kept)."""
        parts = []
        if len(prompts.boxes):
            pl = torch.as_tensor(prompts.box_point_labels, device=self.device)
            has_pts = bool((pl >= 0).any())
            low = decode_prompts(self.sam, emb, transform_boxes(self.sam, prompts.boxes, hw),
                                 transform_points(self.sam, prompts.box_points, hw) if has_pts else None,
                                 pl if has_pts else None)
            parts.append(low)
        if len(prompts.points):
            low = decode_prompts(self.sam, emb, None, transform_points(self.sam, prompts.points, hw),
                                 torch.as_tensor(prompts.point_labels, device=self.device))
            parts.append(low)
        if not parts:
            return torch.zeros((0, *out_size), device=self.device)
        return logits_to_frame(self.sam, torch.cat(parts), hw, out_size)

    def prompts_for(self, weak: WeakLabels) -> Prompts:
        return build_prompts(weak, self.background_index, **self.prompt_opts)

    def _usable(self, img: np.ndarray, weak: WeakLabels | None, path: str) -> bool:
        if check_weak(weak, path, img.shape[:2], self.num_classes, self.class_names):
            return True
        if self.on_empty == 'error':
            raise DataError(f'{path}: the image has no weak labels (no box, scribble, point or tag)')
        warnings.warn(f'{path}: the image has no weak labels; its pseudo-mask is all 255 '
                      '(undecided)', stacklevel=3)
        return False

    # ------------------------------------------------------------------ fine-tune
    def loss_step_inputs(self, img: np.ndarray, weak: WeakLabels, path: str
                         ) -> tuple[tuple[int, int], SegBatch]:
        """Work size (longest side ``loss_size``, never upsampled) and the loss's SegBatch."""
        h, w = img.shape[:2]
        s = min(1.0, self.loss_size / max(h, w))
        size = (max(1, round(h * s)), max(1, round(w * s)))
        small = img if size == (h, w) else cv2.resize(img, size[::-1], interpolation=cv2.INTER_AREA)
        images = torch.as_tensor(small, device=self.device).permute(2, 0, 1)[None].float() / 255
        wk = weak if size == (h, w) else weak.resize(size)
        return size, SegBatch(images=images, target=torch.full((1, *size), IGNORE, device=self.device),
                              weak=[wk], img_paths=[path])

    def finetune(self, samples: list[tuple[np.ndarray, WeakLabels, str]]) -> list[float]:
        """Train the mask decoder on ``samples`` (image, weak labels, path) with the logic loss;
        returns the mean loss of each epoch."""
        torch.manual_seed(self.seed)
        rng = np.random.default_rng(self.seed)
        prepared = []
        for img, weak, path in samples:
            prompts = self.prompts_for(weak)
            if len(prompts):
                size, batch = self.loss_step_inputs(img, weak, path)
                prepared.append((img, prompts, size, batch))
        decoder = self.sam.mask_decoder.train()
        opt = torch.optim.AdamW([p for p in decoder.parameters() if p.requires_grad],
                                lr=self.lr, weight_decay=self.weight_decay)
        history = []
        bar = ProgressBar(self.finetune_epochs * len(prepared)) if prepared else None
        for _ in range(self.finetune_epochs):
            total = 0.0
            for i in rng.permutation(len(prepared)):
                img, prompts, size, batch = prepared[i]
                total += self.train_step(opt, img, prompts, size, batch)
                bar.update()
            history.append(total / max(len(prepared), 1))
        decoder.eval()
        self.history = history
        return history

    def train_step(self, opt: torch.optim.Optimizer, img: np.ndarray, prompts: Prompts,
                   size: tuple[int, int], batch: SegBatch, embedding: torch.Tensor | None = None
                   ) -> float:
        """One decoder update on one image; ``embedding`` skips the cache / encoder."""
        emb = self.embed(img) if embedding is None else embedding
        lg = self.prompt_logits(emb, prompts, img.shape[:2], size)
        z = class_logits(lg, prompts.labels, self.num_classes, self.background_index)
        loss = self.loss(z[None], batch)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return float(loss.detach())

    def run_key(self, names: list[str]) -> str:
        """What a fine-tuned decoder depends on: model, settings, loss, images."""
        parts = [self.cache().model_key, repr(self.sam_cfg), repr(self.loss), self.finetune_epochs,
                 self.lr, self.weight_decay, self.loss_size, self.seed, sorted(self.prompt_opts.items()),
                 self.background_index, self.num_classes, names]
        return hashlib.blake2b(json.dumps(parts, default=str).encode(), digest_size=16).hexdigest()

    def prepare_decoder(self, dataset, out_dir: Path) -> None:
        """Load the decoder fine-tuned by an earlier run on the same split and settings, or
        fine-tune it now and save it to ``out_dir/sam_decoder.pth`` (atomic)."""
        infos = [dataset.get_data_info(i) for i in range(len(dataset))]
        names = [str(i.get('img_id') or i['img_path']) for i in infos]
        key = self.run_key(names)
        ckpt = out_dir / 'sam_decoder.pth'
        if ckpt.is_file():
            try:
                obj = torch.load(ckpt, map_location='cpu', weights_only=True)
                if obj.get('key') == key:
                    self.sam.mask_decoder.load_state_dict(obj['state_dict'])
                    self.decoder_source = f'loaded:{ckpt}'
                    return
                warnings.warn(f'{ckpt} was fine-tuned with other settings or images; fine-tuning '
                              'again (use a new output folder to avoid mixing masks)')
            except Exception as e:
                warnings.warn(f'{ckpt} cannot be loaded ({e}); fine-tuning again')
        samples = []
        print(f'SAM logic fine-tune: loading {len(infos)} images')
        bar = ProgressBar(len(infos))
        for info in infos:
            img, weak, path = unpack(dataset.pipeline(dict(info)))
            if self._usable(img, weak, path):
                samples.append((img, weak, path))
                self.embed(img)                      # fill the cache once
            bar.update()
        print(f'\nSAM logic fine-tune: {self.finetune_epochs} epochs on {len(samples)} images')
        self.finetune(samples)
        with atomic_write(ckpt) as f:
            torch.save(dict(key=key, state_dict=self.sam.mask_decoder.state_dict(),
                            history=self.history), f)
        self.decoder_source = 'finetuned'

    def run(self, dataset, out_dir: str | Path, save_confidence: bool = False, rank: int = 0,
            world_size: int = 1, palette: np.ndarray | None = None) -> dict:
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        self.cache(self.cache_dir or out_dir / 'sam_embeddings')
        meta = getattr(dataset, 'metainfo', {}) or {}
        if not self.class_names and meta.get('classes'):
            self.class_names = tuple(meta['classes'])
        if palette is None and meta.get('palette') is not None:
            palette = np.asarray(meta['palette'], np.uint8)
        if self.finetune_epochs > 0:
            if world_size > 1:       # every rank embeds its shard into the shared cache first
                self.embed_shard(dataset, rank, world_size)
            if rank == 0:
                self.prepare_decoder(dataset, out_dir)
            else:                    # one decoder for all ranks: wait for rank 0's, then load it
                self.wait_for_decoder(dataset, out_dir)
        report = super().run(dataset, out_dir, save_confidence, rank, world_size, palette)
        report.update(decoder=self.decoder_source, cache_hits=self._cache.hits,
                      cache_misses=self._cache.misses, cache_corrupt=self._cache.corrupt,
                      finetune_loss=self.history)
        if rank == 0:
            write_json_atomic(out_dir / 'pseudo_label_report.json', report)
        return report

    def embed_shard(self, dataset, rank: int, world_size: int) -> None:
        """Fill the embedding cache with images ``rank, rank + world_size, ...`` (the encoder
        is the slow part, so the ranks share it before rank 0 fine-tunes on the cache)."""
        for i in range(rank, len(dataset), world_size):
            img, _, _ = unpack(dataset.pipeline(dict(dataset.get_data_info(i))))
            self.embed(img)

    def wait_for_decoder(self, dataset, out_dir: Path, poll_s: float = 5.0) -> None:
        """Load the decoder rank 0 fine-tunes for this split and these settings, polling for
        its file (no collective call, so a long fine-tune cannot hit a process-group timeout)."""
        infos = [dataset.get_data_info(i) for i in range(len(dataset))]
        key = self.run_key([str(i.get('img_id') or i['img_path']) for i in infos])
        ckpt = out_dir / 'sam_decoder.pth'
        while True:
            if ckpt.is_file():
                obj = torch.load(ckpt, map_location='cpu', weights_only=True)
                if obj.get('key') == key:
                    self.sam.mask_decoder.load_state_dict(obj['state_dict'])
                    self.decoder_source = f'loaded:{ckpt}'
                    return
            time.sleep(poll_s)

    # ------------------------------------------------------------------ labelling
    @torch.no_grad()
    def predict(self, img: np.ndarray, weak: WeakLabels) -> tuple[np.ndarray, np.ndarray]:
        """Class map and confidence at the image's size (no weak-label overwrite)."""
        prompts = self.prompts_for(weak)
        hw = img.shape[:2]
        if not len(prompts):
            return assemble_class_map(np.zeros((0, *hw), np.float32), prompts.labels,
                                      prompts.areas, self.background_index, self.threshold)
        probs = torch.sigmoid(self.prompt_logits(self.embed(img), prompts, hw, hw)).cpu().numpy()
        return assemble_class_map(probs, prompts.labels, prompts.areas, self.background_index,
                                  self.threshold)

    def label(self, results: dict) -> tuple[np.ndarray, np.ndarray | None]:
        img, weak, path = unpack(results)
        if not self._usable(img, weak, path):
            return np.full(img.shape[:2], IGNORE, np.uint8), np.zeros(img.shape[:2], np.float32)
        self.sam.mask_decoder.eval()
        mask, conf = self.predict(img, weak)
        if self.keep_weak:
            partial = weak.partial_mask()
            known = partial != IGNORE
            mask[known], conf[known] = partial[known], 1.0
        mask[conf < self.min_confidence] = IGNORE
        return mask, conf


@PSEUDO_LABELLERS.register_module()
class SamBoxPseudoLabeller(SamLogicPseudoLabeller):
    """Baseline: SAM prompted by each box alone (no points, no fine-tune), same assembly."""

    def __init__(self, sam: dict, num_classes: int, background_index: int | None = 0,
                 keep_weak: bool = False, **kwargs):
        kwargs.update(finetune_epochs=0, box_pos_points=0, box_neg_points=0, scribble_prompts=False)
        super().__init__(sam, num_classes, background_index=background_index,
                         keep_weak=keep_weak, **kwargs)


def default_constraints(background_index: int | None) -> list[dict]:
    """The fine-tune's default constraint set (outside-box background only with a background)."""
    cons = [dict(type='BoxTightness', weight=1.0), dict(type='ScribbleClass', weight=1.0),
            dict(type='NeighbourSupport', connectivity=8, weight=0.1),
            dict(type='SuperpixelBorder', method='slic', params=dict(n_segments=150), weight=0.1)]
    if background_index is not None:
        cons.insert(0, dict(type='OutsideBoxesBackground', weight=1.0))
    return cons
