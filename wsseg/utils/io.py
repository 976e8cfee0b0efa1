"""Reading images and masks with errors that name the file, and atomic writes."""
from __future__ import annotations

import errno
import json
import io
import os
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Iterator

import numpy as np
from PIL import Image, UnidentifiedImageError


class DataError(ValueError):
    """Bad input data. The message always names the offending file and the problem."""


class DiskFullError(OSError):
    """A write failed for lack of space (or a file-size limit). Names the file; nothing
    partial is left behind, and files finished before it are kept."""


_FULL = {errno.ENOSPC: 'no space left on device', errno.EDQUOT: 'disk quota exceeded',
         errno.EFBIG: 'file size limit exceeded'}


def tolerant_console() -> None:
    """Let stdout and stderr print any file name: a name that is not valid UTF-8 (kept by
    Python as surrogate escapes) is written as ``\\udcXX`` escapes instead of raising
    ``UnicodeEncodeError`` on a strict UTF-8 stream. Tools call it first thing."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper) and stream.errors == 'strict':
            stream.reconfigure(errors='backslashreplace')


def read_image(path: str | os.PathLike) -> np.ndarray:
    """Read an image as RGB uint8 (H, W, 3)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f'{path}: image file not found')
    try:
        with Image.open(path) as im:
            im.load()
            return np.asarray(im.convert('RGB'))
    except (UnidentifiedImageError, OSError, SyntaxError) as e:
        raise DataError(f'{path}: corrupt or unreadable image ({e})') from e


def image_size(path: str | os.PathLike) -> tuple[int, int]:
    """(H, W) of an image from its header (the pixels are not decoded)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f'{path}: image file not found')
    try:
        with Image.open(path) as im:
            return im.size[1], im.size[0]
    except (UnidentifiedImageError, OSError, SyntaxError) as e:
        raise DataError(f'{path}: corrupt or unreadable image ({e})') from e


def read_mask(path: str | os.PathLike, num_classes: int | None = None,
              shape: tuple[int, int] | None = None, ignore_index: int = 255) -> np.ndarray:
    """Read a class-index mask (palette or grey PNG) as uint8 (H, W).

    Checks, when given, that it has ``shape`` and that values are < num_classes or 255.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f'{path}: mask file not found')
    try:
        with Image.open(path) as im:
            im.load()
            if im.mode not in ('P', 'L', 'I', 'I;16', '1'):
                raise DataError(f'{path}: mask must be a single-channel class-index image, got mode {im.mode}')
            mask = np.asarray(im)
    except (UnidentifiedImageError, OSError, SyntaxError) as e:
        raise DataError(f'{path}: corrupt or unreadable mask ({e})') from e
    check_mask(mask, path, num_classes, shape, ignore_index)
    return mask.astype(np.uint8)


def check_mask(mask: np.ndarray, path, num_classes: int | None = None,
               shape: tuple[int, int] | None = None, ignore_index: int = 255) -> None:
    """Raise DataError if ``mask`` has the wrong size or values outside the class range."""
    if shape is not None and tuple(mask.shape[:2]) != tuple(shape[:2]):
        raise DataError(f'{path}: mask size {mask.shape[1]}x{mask.shape[0]} (WxH) differs from '
                        f'its image {shape[1]}x{shape[0]}')
    if num_classes is not None:
        vals = np.unique(mask)
        bad = vals[(vals >= num_classes) & (vals != ignore_index)]
        if bad.size:
            raise DataError(f'{path}: mask values {bad.tolist()} outside the class range '
                            f'0..{num_classes - 1} (and {ignore_index} = ignore)')


def current_umask() -> int:
    """The process umask, read without changing it where Linux shows it (``/proc``); else set
    and restored at once."""
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith('Umask:'):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def temp_beside(path: Path) -> tuple[int, str]:
    """``mkstemp`` in ``path``'s folder, with the mode a plain ``open()`` would give (0666 less
    the umask) instead of mkstemp's owner-only 0600: on a shared folder the team reads it."""
    fd, tmp = tempfile.mkstemp(prefix=f'.{path.name}.', suffix='.tmp', dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~current_umask())
    except BaseException:
        os.close(fd)
        os.unlink(tmp)
        raise
    return fd, tmp


@contextmanager
def atomic_write(path: str | os.PathLike) -> Iterator[BinaryIO]:
    """Open a temporary file beside ``path`` for binary writing; on success flush, fsync and
    rename it onto ``path`` (``os.replace``, atomic on POSIX).

    The file gets the permissions of a plain ``open()`` (see :func:`temp_beside`).
    A reader never sees a half-written file; a killed writer leaves only a ``.<name>.*.tmp``
    that :func:`clean_partial_writes` removes. On a full disk the temporary file is removed
    and :class:`DiskFullError` names ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = temp_beside(path)
    try:
        with os.fdopen(fd, 'wb') as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as e:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(e, OSError) and e.errno in _FULL:
            raise DiskFullError(e.errno, f'{path}: disk full ({_FULL[e.errno]}) while writing it; '
                                'no partial file was kept. Free space and run again: finished '
                                'files are kept and skipped') from e
        raise


def write_png_atomic(path: str | os.PathLike, array: np.ndarray,
                     palette: np.ndarray | None = None) -> None:
    """Write a PNG with :func:`atomic_write` (temporary file, fsync, rename)."""
    im = Image.fromarray(array)
    if palette is not None and array.ndim == 2:
        im = im.convert('P')
        im.putpalette(np.asarray(palette, np.uint8).reshape(-1).tolist())
    with atomic_write(path) as f:
        im.save(f, format='PNG')


def write_json_atomic(path: str | os.PathLike, obj) -> None:
    """Write ``obj`` as indented JSON with :func:`atomic_write`."""
    with atomic_write(path) as f:
        f.write(json.dumps(obj, indent=2).encode())


def clean_partial_writes(folder: str | os.PathLike, names: set[str] | None = None) -> int:
    """Remove temporary files left by an interrupted :func:`atomic_write` under ``folder``.

    ``names`` limits it to the temporaries of those target file names (e.g. one rank's shard,
    so a rank never removes a file another rank is writing). Returns how many were removed.
    """
    n = 0
    for p in Path(folder).rglob('.*.tmp'):
        if names is None or p.name[1:].rsplit('.', 2)[0] in names:
            p.unlink(missing_ok=True)
            n += 1
    return n
