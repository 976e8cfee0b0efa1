"""SAM pseudo-labeller: the mask decoder fine-tuned with the logic loss.

Per split, :class:`SamLogicPseudoLabeller` (1) computes each image's SAM embedding once
(disk cache, :mod:`wsseg.models.sam_cache`), (2) fine-tunes only the mask decoder with
:class:`~wsseg.logic.LogicLoss` on every image of the split, prompting with the image's boxes
and scribble points (one prompt per box; one per scribble component of a class that has no
box; :mod:`wsseg.pseudo.sam_prompts`), (3) writes one class map per image
(:func:`~wsseg.pseudo.sam_prompts.assemble_class_map`). The box baseline without fine-tuning
is :class:`~wsseg.pseudo.sam_box.SamBoxPseudoLabeller`.
"""
from __future__ import annotations

import hashlib
import json
import time
import warnings
from pathlib import Path

import cv2
import numpy as np
import torch
from mmengine.utils import ProgressBar

import wsseg.logic  # noqa: F401  (registers LogicLoss and the constraints)
from wsseg.losses.base import SegBatch
from wsseg.models.sam import (build_sam_from_cfg, decode_prompts, freeze_for_decoder_tuning,
                              logits_to_frame, preprocess_image, transform_boxes,
                              transform_points)
from wsseg.models.sam_cache import EmbeddingCache
from wsseg.pseudo.base import PseudoLabeller
from wsseg.pseudo.sam_prompts import (ABSENT_LOGIT, Prompts, assemble_class_map,  # noqa: F401
                                      build_prompts, check_weak, class_logits, spread_points,
                                      unpack)
from wsseg.registry import MODELS, PSEUDO_LABELLERS
from wsseg.structures import IGNORE, WeakLabels
from wsseg.utils.io import DataError, atomic_write, write_json_atomic


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


def default_constraints(background_index: int | None) -> list[dict]:
    """The fine-tune's default constraint set (outside-box background only with a background)."""
    cons = [dict(type='BoxTightness', weight=1.0), dict(type='ScribbleClass', weight=1.0),
            dict(type='NeighbourSupport', connectivity=8, weight=0.1),
            dict(type='SuperpixelBorder', method='slic', params=dict(n_segments=150), weight=0.1)]
    if background_index is not None:
        cons.insert(0, dict(type='OutsideBoxesBackground', weight=1.0))
    return cons
