"""On-disk cache of SAM image embeddings.

Key = blake2b(model fingerprint, image bytes + shape + dtype, preprocessing (encoder input
size, pixel mean / std)). The model fingerprint is the checkpoint file's hash, or for a
random-weight SAM a hash of the image encoder's state dict (:func:`sam_model_key`). An entry
is a ``torch.save`` of ``dict(key=..., embedding=...)`` at ``<root>/<key[:2]>/<key>.pt``,
written to a temporary file, fsynced and renamed (:func:`wsseg.utils.io.atomic_write`), so
a reader never sees half a file.

A stale entry (other model, image or preprocessing) has another key and so another file: it
is never read. A file that fails to load, holds another key, or has the wrong shape is
reported with a warning naming it, recomputed and overwritten, never trusted.
"""
from __future__ import annotations

import hashlib
import warnings
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from segment_anything.modeling import Sam

from wsseg.models.sam import file_fingerprint, state_fingerprint
from wsseg.utils.io import atomic_write


def sam_model_key(sam: Sam, checkpoint: str | Path | None = None) -> str:
    """What identifies the encoder's weights: the checkpoint file's hash when there is one,
    else a hash of the image encoder's state dict."""
    if checkpoint:
        return 'file:' + file_fingerprint(checkpoint)
    return 'state:' + state_fingerprint(sam.image_encoder)


def preprocessing_key(sam: Sam) -> str:
    """Encoder input size and pixel normalisation, as text."""
    mean = [round(float(v), 6) for v in sam.pixel_mean.flatten().tolist()]
    std = [round(float(v), 6) for v in sam.pixel_std.flatten().tolist()]
    return f'size={sam.image_encoder.img_size};mean={mean};std={std}'


class EmbeddingCache:
    """Compute-once image embeddings for one SAM, stored under ``root``.

    ``root=None`` disables the disk (every call recomputes). ``hits`` / ``misses`` /
    ``corrupt`` count what happened.
    """

    def __init__(self, root: str | Path | None, model_key: str, prep_key: str,
                 expected_shape: tuple[int, ...] | None = None):
        self.root = Path(root) if root else None
        self.model_key, self.prep_key = model_key, prep_key
        self.expected_shape = tuple(expected_shape) if expected_shape else None
        self.hits = self.misses = self.corrupt = 0

    @classmethod
    def for_sam(cls, root: str | Path | None, sam: Sam, checkpoint: str | Path | None = None
                ) -> 'EmbeddingCache':
        e = sam.image_encoder
        side = e.img_size // e.patch_embed.proj.kernel_size[0]
        shape = (e.neck[0].out_channels, side, side)
        key = sam_model_key(sam, checkpoint) if root else ''     # no folder: no key needed
        return cls(root, key, preprocessing_key(sam), shape)

    def key(self, image: np.ndarray) -> str:
        img = np.ascontiguousarray(image)
        h = hashlib.blake2b(digest_size=20)
        for part in (self.model_key, self.prep_key, f'{img.shape}:{img.dtype}'):
            h.update(part.encode())
            h.update(b'\0')
        h.update(img.tobytes())
        return h.hexdigest()

    def path(self, key: str) -> Path:
        if self.root is None:
            raise ValueError('this cache has no folder')
        return self.root / key[:2] / f'{key}.pt'

    def _read(self, path: Path, key: str) -> torch.Tensor | None:
        """The stored embedding, or None (with a warning naming the file) if it is unusable."""
        try:
            obj = torch.load(path, map_location='cpu', weights_only=True)
        except Exception as e:  # truncated / garbage / not a torch file
            problem = f'cannot be loaded ({type(e).__name__}: {str(e)[:120]})'
        else:
            emb = obj.get('embedding') if isinstance(obj, dict) else None
            if not isinstance(emb, torch.Tensor):
                problem = 'holds no embedding tensor'
            elif obj.get('key') != key:
                problem = 'holds the embedding of another key'
            elif self.expected_shape and tuple(emb.shape) != self.expected_shape:
                problem = f'has shape {tuple(emb.shape)}, expected {self.expected_shape}'
            elif not torch.isfinite(emb).all():
                problem = 'holds non-finite values'
            else:
                return emb
        self.corrupt += 1
        warnings.warn(f'SAM embedding cache file {path} {problem}; recomputing it', stacklevel=3)
        return None

    def _write(self, path: Path, key: str, emb: torch.Tensor) -> None:
        with atomic_write(path) as f:     # temporary file + fsync + rename
            torch.save(dict(key=key, embedding=emb.detach().cpu().contiguous()), f)

    def get(self, image: np.ndarray, compute: Callable[[], torch.Tensor]) -> torch.Tensor:
        """The embedding (C, e, e) of ``image``: from disk when a valid entry exists, else
        ``compute()`` (which returns it, batch dim optional), stored before returning."""
        if self.root is None:
            self.misses += 1
            return _squeeze(compute())
        key = self.key(image)
        path = self.path(key)
        if path.is_file():
            emb = self._read(path, key)
            if emb is not None:
                self.hits += 1
                return emb
        self.misses += 1
        emb = _squeeze(compute()).detach()
        self._write(path, key, emb)
        return emb


def _squeeze(t: torch.Tensor) -> torch.Tensor:
    return t[0] if t.ndim == 4 else t
