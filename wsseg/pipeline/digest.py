"""Content digests for the pipeline: files, folders and configs, hashed by what they hold.

A stage is up to date when the digest of its inputs (its resolved config, the configs it
reads, the data files, the outputs of the stages before it) equals the one recorded when it
last finished. Timestamps never decide that. Like git's index, a file's digest is cached
by ``(path, size, mtime_ns, inode)`` so unchanged files are not read again; ``rehash=True``
ignores the cache.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Iterable

from wsseg.utils.io import write_json_atomic


def digest_bytes(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _plain(obj):
    """JSON fallback: arrays by their bytes, functions by name (never by memory address)."""
    import numpy as np
    if isinstance(obj, np.ndarray):
        return [str(obj.dtype), list(obj.shape), digest_bytes(np.ascontiguousarray(obj).tobytes())]
    if isinstance(obj, np.generic):
        return obj.item()
    if callable(obj):
        return f'{getattr(obj, "__module__", "")}.{getattr(obj, "__qualname__", type(obj).__name__)}'
    if isinstance(obj, (set, frozenset)):
        return sorted(obj, key=str)
    return str(obj)


def digest_json(obj) -> str:
    """Digest of a JSON-able object (keys sorted, so dict order does not matter)."""
    return digest_bytes(json.dumps(obj, sort_keys=True, default=_plain).encode())


class FileDigests:
    """File content digests with an on-disk cache keyed by the file's stat."""

    def __init__(self, cache_file: str | Path | None = None, rehash: bool = False):
        self.cache_file = Path(cache_file) if cache_file else None
        self.rehash = rehash
        self._cache: dict[str, list] = {}
        if self.cache_file and self.cache_file.is_file() and not rehash:
            try:
                self._cache = json.loads(self.cache_file.read_text())
            except ValueError:     # a damaged cache is only a slower run
                self._cache = {}
        self._dirty = False

    def file(self, path: str | Path) -> str:
        """Digest of one file's bytes."""
        p = Path(path).resolve()
        st = p.stat()
        stamp = [st.st_size, st.st_mtime_ns, st.st_ino]
        hit = self._cache.get(str(p))
        if hit is not None and hit[:3] == stamp:
            return hit[3]
        h = hashlib.blake2b(digest_size=16)
        with open(p, 'rb') as f:
            for chunk in iter(lambda: f.read(1 << 20), b''):
                h.update(chunk)
        self._cache[str(p)] = stamp + [h.hexdigest()]
        self._dirty = True
        return h.hexdigest()

    def files(self, paths: Iterable[str | Path]) -> str:
        """Digest of a set of files: their names and contents, in sorted order."""
        return digest_json(sorted((str(p), self.file(p)) for p in paths))

    def folder(self, folder: str | Path, pattern: str = '*') -> str:
        """Digest of the (non-hidden) files of ``folder`` matching ``pattern``, by relative name."""
        folder = Path(folder)
        items = sorted(p for p in folder.rglob(pattern) if p.is_file() and not p.name.startswith('.'))
        return digest_json([(str(p.relative_to(folder)), self.file(p)) for p in items])

    def save(self) -> None:
        if self.cache_file and self._dirty:
            write_json_atomic(self.cache_file, self._cache)
            self._dirty = False


def config_digest(path: str | Path) -> str:
    """Digest of a config file's merged content (its ``_base_`` chain included)."""
    from mmengine.config import Config
    cfg = Config.fromfile(str(path))
    return digest_bytes(cfg.pretty_text.encode())


FILE_KEYS = ('img_path', 'seg_map_path', 'scribble_path')


def dataset_digest(dataset, digests: FileDigests) -> str:
    """Digest of a wsseg dataset: its data list (boxes, points, tags... as parsed) and the
    contents of every file it names (images, masks, scribbles)."""
    infos, files = [], set()
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        infos.append({k: v for k, v in info.items() if k not in ('sample_idx',)})
        files.update(str(info[k]) for k in FILE_KEYS if info.get(k) and os.path.isfile(info[k]))
    return digest_json(dict(infos=infos, files=digests.files(sorted(files))))
