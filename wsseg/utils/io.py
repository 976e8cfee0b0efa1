"""Reading images and masks with errors that name the file, and atomic PNG writes."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError


class DataError(ValueError):
    """Bad input data. The message always names the offending file and the problem."""


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


def write_png_atomic(path: str | os.PathLike, array: np.ndarray,
                     palette: np.ndarray | None = None) -> None:
    """Write a PNG via a temporary file in the same folder and an atomic rename.

    A reader never sees a half-written file; a killed writer leaves only a ``.tmp`` that
    :func:`clean_partial_writes` removes.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    im = Image.fromarray(array)
    if palette is not None and array.ndim == 2:
        im = im.convert('P')
        im.putpalette(np.asarray(palette, np.uint8).reshape(-1).tolist())
    fd, tmp = tempfile.mkstemp(prefix=f'.{path.name}.', suffix='.tmp', dir=path.parent)
    try:
        with os.fdopen(fd, 'wb') as f:
            im.save(f, format='PNG')
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def clean_partial_writes(folder: str | os.PathLike) -> int:
    """Remove temporary files left by an interrupted :func:`write_png_atomic`. Returns count."""
    n = 0
    for p in Path(folder).rglob('.*.tmp'):
        p.unlink()
        n += 1
    return n
