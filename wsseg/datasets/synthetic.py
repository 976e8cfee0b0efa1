"""The embedded demo data: seeded procedural scenes and synthetic seagrass frames.

Two generators, both deterministic for a seed (each image draws from its own
``numpy.random.default_rng([seed, kind, index])``) and fast (numpy + scipy + scikit-image):

- :func:`make_scenes`: multi-class scenes of textured shapes on a textured background, with
  full class masks and instance masks, in the ``images/<split>`` + ``masks/<split>`` layout;
- :func:`make_seagrass_frames`: underwater frames with one image-level species label each, in
  the DeepSeagrass whole-frame layout ``frames/<Class>/<id>.jpg``, with pixel and patch truth;
  :func:`export_seagrass_patches` cuts them into the patch-folder layout.
"""
from __future__ import annotations

import colorsys
import json
import os
from pathlib import Path

import numpy as np
from PIL import Image
from scipy import ndimage
from skimage import draw

from wsseg.structures import make_palette
from wsseg.utils.io import temp_beside, write_png_atomic

SCENE_CLASSES = ('background', 'disc', 'square', 'triangle', 'stripes')
SEAGRASS_SPECIES = ('Strappy', 'Ferny', 'Rounded')
# csiro inference colours; Background pink.
SEAGRASS_COLOURS = {'Strappy': (255, 165, 0), 'Ferny': (255, 0, 0), 'Rounded': (0, 0, 255),
                    'Background': (255, 20, 147)}
_SHAPES = ('disc', 'square', 'triangle', 'blob')
_TEXTURES = ('spots', 'checker', 'lines', 'stripes')


# ----------------------------------------------------------------------------- file helpers
def _atomic(path: Path, write) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = temp_beside(path)   # mode of a plain open(), not 0600
    try:
        with os.fdopen(fd, 'wb') as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _write_jpg(path: Path, img: np.ndarray, quality: int = 92) -> None:
    _atomic(path, lambda f: Image.fromarray(img).save(f, format='JPEG', quality=quality))


def _write_json(path: Path, obj) -> None:
    _atomic(path, lambda f: f.write(json.dumps(obj, indent=1).encode()))


def _write_npy(path: Path, arr: np.ndarray) -> None:
    _atomic(path, lambda f: np.save(f, arr))


# ----------------------------------------------------------------------------- textures
def _smooth_noise(rng: np.random.Generator, shape, sigma) -> np.ndarray:
    """Gaussian-filtered white noise rescaled to [0, 1]."""
    g = ndimage.gaussian_filter(rng.standard_normal(shape).astype(np.float32), sigma, mode='wrap')
    g -= g.min()
    return g / max(float(g.max()), 1e-6)


def _texture(kind: str, rng: np.random.Generator, shape) -> np.ndarray:
    """A (H, W) float32 pattern in [0, 1] of one texture family, with random scale/orientation."""
    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    th = rng.uniform(0, np.pi)
    u = xx * np.cos(th) + yy * np.sin(th)
    v = -xx * np.sin(th) + yy * np.cos(th)
    if kind == 'spots':
        n = _smooth_noise(rng, shape, rng.uniform(1.2, 1.8))
        return (n > np.quantile(n, 0.62)).astype(np.float32)
    if kind == 'checker':
        s = rng.uniform(4.5, 7.0)
        return ((np.floor(u / s) + np.floor(v / s)) % 2).astype(np.float32)
    if kind == 'lines':
        return (np.sin(2 * np.pi * u / rng.uniform(3.5, 5.0)) > 0.55).astype(np.float32)
    if kind == 'stripes':
        return (0.5 + 0.5 * np.sin(2 * np.pi * u / rng.uniform(9.0, 13.0))).astype(np.float32)
    if kind == 'grain':
        return 0.7 * _smooth_noise(rng, shape, rng.uniform(3, 6)) + 0.3 * _smooth_noise(rng, shape, 0.7)
    raise ValueError(f'unknown texture {kind!r}')


def _hsv(h: float, s: float, v: float) -> np.ndarray:
    return 255 * np.array(colorsys.hsv_to_rgb(h % 1.0, np.clip(s, 0, 1), np.clip(v, 0, 1)), np.float32)


def _shape_mask(kind: str, rng: np.random.Generator, shape) -> np.ndarray:
    h, w = shape
    r = rng.uniform(0.14, 0.3) * min(h, w)
    cy, cx = rng.uniform(0.4 * r, h - 0.4 * r), rng.uniform(0.4 * r, w - 0.4 * r)
    m = np.zeros(shape, bool)
    if kind == 'disc':
        m[draw.disk((cy, cx), r, shape=shape)] = True
        return m
    if kind == 'square':
        ang = rng.uniform(0, np.pi / 2) + np.arange(4) * np.pi / 2
        rad = np.full(4, r * 1.1)
    elif kind == 'triangle':
        ang = rng.uniform(0, 2 * np.pi) + np.arange(3) * 2 * np.pi / 3 + rng.uniform(-0.2, 0.2, 3)
        rad = r * rng.uniform(1.1, 1.4, 3)
    elif kind == 'blob':
        ang = np.sort(rng.uniform(0, 2 * np.pi, 11))
        rad = r * rng.uniform(0.65, 1.1, 11)
    else:
        raise ValueError(f'unknown shape {kind!r}')
    m[draw.polygon(cy + rad * np.sin(ang), cx + rad * np.cos(ang), shape=shape)] = True
    return m


# ----------------------------------------------------------------------------- scenes
def _scene(rng: np.random.Generator, size, k: int, max_objects: int, hue_jitter: float):
    """One scene: image (H, W, 3) uint8, class mask, instance mask, instance list."""
    h, w = size
    t = _texture('grain', rng, size)
    c1 = _hsv(0.08 + rng.uniform(-0.03, 0.03), 0.25 + rng.uniform(-0.1, 0.1), 0.55 + rng.uniform(-0.1, 0.1))
    img = c1 * (0.65 + 0.55 * t[..., None])
    cls = np.zeros(size, np.uint8)
    inst = np.zeros(size, np.uint8)
    objs = []
    for i in range(int(rng.integers(1, max_objects + 1))):
        c = int(rng.integers(1, k))
        m = _shape_mask(_SHAPES[(c - 1) % len(_SHAPES)], rng, size)
        tex = _texture(_TEXTURES[(c - 1) % len(_TEXTURES)], rng, size)[m]
        base = _hsv((c - 1) / (k - 1) + rng.uniform(-hue_jitter, hue_jitter),
                    0.6 + rng.uniform(-0.15, 0.15), 0.78 + rng.uniform(-0.15, 0.12))
        dark = base * rng.uniform(0.4, 0.6)
        ys, xs = np.nonzero(m)
        shade = 1 + rng.uniform(-0.25, 0.25) * (ys - ys.mean()) / max(np.ptp(ys), 1)
        img[m] = (base + (dark - base) * tex[:, None]) * shade[:, None]
        cls[m] = c
        inst[m] = i + 1
        objs.append(c)
    instances = []
    for i, c in enumerate(objs):          # keep instances that are still visible, renumbered
        ys, xs = np.nonzero(inst == i + 1)
        if ys.size:
            new = len(instances) + 1
            inst[inst == i + 1] = new
            instances.append(dict(id=new, label=c, box=[int(xs.min()), int(ys.min()),
                                                         int(xs.max()) + 1, int(ys.max()) + 1]))
    yy, xx = np.mgrid[0:h, 0:w]
    th = rng.uniform(0, 2 * np.pi)
    ramp = (xx * np.cos(th) + yy * np.sin(th)) / max(h, w)
    img *= (1 + rng.uniform(0.15, 0.5) * (ramp - ramp.mean()))[..., None]
    img += rng.normal(0, rng.uniform(2, 8), img.shape)
    return np.clip(img, 0, 255).round().astype(np.uint8), cls, inst, instances


def make_scenes(out_dir, n: int | None = None, size: tuple[int, int] = (128, 128), seed: int = 0,
                classes: tuple[str, ...] = SCENE_CLASSES, splits: dict[str, int] | None = None,
                max_objects: int = 4, hue_jitter: float = 0.15) -> dict:
    """Write ``n`` synthetic multi-class scenes and return a summary dict.

    Class 0 is the background (a grain texture); each other class has its own shape and
    texture (disc/spots, square/checker, triangle/thin lines, blob/broad stripes, cycling for
    more classes) and a base hue whose per-instance jitter (``hue_jitter``) makes neighbouring
    classes' colours overlap, so colour alone does not separate them. Up to ``max_objects``
    objects per image, later ones occluding earlier ones; plus an illumination gradient and
    noise. Layout under ``out_dir``::

        images/<split>/scene_00000.png      RGB
        masks/<split>/scene_00000.png       palette PNG, class index per pixel
        instances/<split>/scene_00000.png   uint8 instance id (0 = none), visible pixels
        classes.txt, meta.json              class names, palette, per-image instances (boxes
                                            xyxy, x2/y2 exclusive), class frequencies

    ``splits`` maps split names to counts (e.g. ``{'train': 60, 'val': 20}``); without it all
    ``n`` images go to ``train``. Returns counts and per-class pixel / image frequencies.
    """
    if splits is None:
        if n is None:
            raise ValueError('make_scenes: give n or splits')
        splits = {'train': int(n)}
    if n is not None and sum(splits.values()) != n:
        raise ValueError(f'make_scenes: splits {splits} sum to {sum(splits.values())}, not n={n}')
    k = len(classes)
    if k < 2:
        raise ValueError(f'make_scenes: need a background and at least one object class, got {classes}')
    out = Path(out_dir)
    palette = make_palette(k)
    pix = np.zeros(k, np.int64)
    img_count = np.zeros(k, np.int64)
    images_meta: dict = {}
    idx = 0
    for split, count in splits.items():
        images_meta[split] = {}
        for _ in range(int(count)):
            rng = np.random.default_rng([seed, 0, idx])
            img, cls, inst, instances = _scene(rng, tuple(size), k, max_objects, hue_jitter)
            stem = f'scene_{idx:05d}'
            write_png_atomic(out / 'images' / split / f'{stem}.png', img)
            write_png_atomic(out / 'masks' / split / f'{stem}.png', cls, palette=palette)
            write_png_atomic(out / 'instances' / split / f'{stem}.png', inst)
            images_meta[split][stem] = {'instances': instances}
            counts = np.bincount(cls.ravel(), minlength=k)
            pix += counts
            img_count += counts > 0
            idx += 1
    summary = {'n_images': idx, 'splits': {s: int(c) for s, c in splits.items()},
               'classes': list(classes),
               'class_pixel_freq': {c: float(v) for c, v in zip(classes, pix / max(pix.sum(), 1))},
               'class_image_count': {c: int(v) for c, v in zip(classes, img_count)}}
    _atomic(out / 'classes.txt', lambda f: f.write(('\n'.join(classes) + '\n').encode()))
    _write_json(out / 'meta.json', dict(summary, generator='wsseg.datasets.synthetic.make_scenes',
                                        seed=seed, size=list(size), palette=palette.tolist(),
                                        images=images_meta))
    return summary


# ----------------------------------------------------------------------------- seagrass
def _strappy(rng, shape):
    """Long thin near-vertical blades: streaks of anisotropically smoothed noise, sheared."""
    s = ndimage.gaussian_filter(rng.standard_normal(shape).astype(np.float32),
                                (rng.uniform(9, 15), rng.uniform(0.6, 0.9)), mode='wrap')
    s = ndimage.affine_transform(s, [[1, 0], [rng.uniform(-0.4, 0.4), 1]], order=1, mode='wrap')
    s /= s.std() + 1e-6
    return 1 / (1 + np.exp(-4 * (s - 0.2))), np.clip(0.5 + 0.3 * s, 0, 1)


def _ferny(rng, shape):
    """Fronds: a stem with paired leaflets at regular steps, drawn as 1-px lines, softened."""
    h, w = shape
    f = int(h * w / 200)
    y0, x0 = rng.uniform(0, h + 20, f), rng.uniform(0, w, f)
    th = rng.normal(0, 0.45, f)                     # 0 = pointing up
    length = rng.uniform(16, 32, f)
    bright = rng.uniform(0.4, 1.0, f)
    dy, dx = -np.cos(th), np.sin(th)
    t = np.arange(0, 32, 0.5)[None, :]
    # stem samples, then leaflet samples on each side: coordinates, brightness, and which are drawn
    ys, xs, vs = [y0[:, None] + t * dy[:, None]], [x0[:, None] + t * dx[:, None]], [bright[:, None]]
    on = [t < length[:, None]]
    k = np.arange(2, 32, 2.5)[None, :, None]       # leaflet positions along the stem
    s = np.arange(0, 7, 0.5)[None, None, :]         # samples along a leaflet
    leaf_len = (6.5 * (1 - 0.6 * k / length[:, None, None]))
    for side in (-1, 1):
        a = th[:, None, None] + side * 1.0
        ys.append(y0[:, None, None] + k * dy[:, None, None] - s * np.cos(a))
        xs.append(x0[:, None, None] + k * dx[:, None, None] + s * np.sin(a))
        vs.append(bright[:, None, None] * 0.85)
        on.append((k < length[:, None, None]) & (s < leaf_len))
    canvas = np.zeros(shape, np.float32)
    for y, x, v, o in zip(ys, xs, vs, on):
        y, x, v = np.broadcast_arrays(y, x, v)
        y, x, v = np.rint(y[o]).astype(int), np.rint(x[o]).astype(int), v[o]
        keep = (y >= 0) & (y < h) & (x >= 0) & (x < w)
        canvas[y[keep], x[keep]] = v[keep]
    alpha = np.clip(ndimage.gaussian_filter((canvas > 0).astype(np.float32), 0.5) * 2.2, 0, 1)
    return alpha, ndimage.grey_dilation(canvas, size=2)


def _rounded(rng, shape):
    """Round leaves: unions of discs of a few radii, dome-shaded so each leaf reads as round."""
    h, w = shape
    dome = np.zeros(shape, np.float32)
    for r in (2.5, 3.5, 4.5):
        centres = np.ones(shape, bool)
        m = int(h * w / (8 * r * r))
        centres[rng.integers(0, h, m), rng.integers(0, w, m)] = False
        d = ndimage.distance_transform_edt(centres)
        dome = np.maximum(dome, np.clip(1 - (d / r) ** 2, 0, 1).astype(np.float32))
    return np.clip(dome * 4, 0, 1), 0.2 + 0.8 * dome


_SPECIES_RENDER = (_strappy, _ferny, _rounded)
_SPECIES_RGB = ((95, 125, 55), (50, 100, 45), (120, 145, 60))


def _seabed(rng, shape) -> tuple[np.ndarray, np.ndarray]:
    """Sand with ripples and grain, and (often) a band of water at the top. Returns (rgb, sand)."""
    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    sand_c = np.array([190, 170, 125], np.float32) + rng.uniform(-20, 20, 3)
    warp = 6 * _smooth_noise(rng, shape, 8)
    ripple = 0.5 + 0.5 * np.sin(2 * np.pi * (yy + warp * 4) / rng.uniform(9, 16))
    grain = _smooth_noise(rng, shape, 0.8)
    sand = sand_c * (0.75 + 0.15 * ripple + 0.2 * grain)[..., None]
    water_c = np.array([40, 115, 135], np.float32) + rng.uniform(-15, 15, 3)
    water = water_c * (1.15 - 0.4 * yy / h + 0.1 * _smooth_noise(rng, shape, 12))[..., None]
    line = (rng.uniform(0.05, 0.35) * h if rng.random() < 0.6 else -10.0) + \
        5 * np.sin(2 * np.pi * xx[0] / w * rng.uniform(1, 3) + rng.uniform(0, 6))
    is_sand = yy >= line[None, :]
    a = np.clip((yy - line[None, :]) / 6 + 0.5, 0, 1)[..., None]      # soft horizon
    return sand * a + water * (1 - a), is_sand


def _seagrass_frame(rng, shape, species_idx: int | None, cover):
    """One frame: image (H, W, 3) uint8 and the seagrass region (bool) or None."""
    img, is_sand = _seabed(rng, shape)
    region = np.zeros(shape, bool)
    if species_idx is not None:
        g = _smooth_noise(rng, shape, rng.uniform(14, 26))
        c = rng.uniform(*cover)
        region = (g > np.quantile(g[is_sand], 1 - c)) & is_sand
        alpha, shade = _SPECIES_RENDER[species_idx % 3](rng, shape)
        col = np.array(_SPECIES_RGB[species_idx % 3], np.float32) + rng.uniform(-18, 18, 3)
        plant = col * (0.55 + 0.6 * shade)[..., None]
        inside = img * 0.45 * (1 - alpha[..., None]) + plant * alpha[..., None]
        soft = ndimage.gaussian_filter(region.astype(np.float32), 1.0)[..., None]
        img = img * (1 - soft) + inside * soft
    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    th = rng.uniform(0, 2 * np.pi)
    ramp = (xx * np.cos(th) + yy * np.sin(th)) / max(h, w)
    img = img * (1 + rng.uniform(0.2, 0.6) * (ramp - ramp.mean()))[..., None]
    if rng.random() < 0.75:                          # green or blue colour cast
        cast = np.array([0.8, 1.08, 0.88] if rng.random() < 0.5 else [0.75, 0.95, 1.15], np.float32)
        img = img * (1 + rng.uniform(0.3, 1.0) * (cast - 1))
    return img, region


def make_seagrass_frames(out_dir, n: int, grid: tuple[int, int] = (5, 8),
                         patch: tuple[int, int] = (52, 58), seed: int = 0,
                         species: tuple[str, ...] = SEAGRASS_SPECIES,
                         background_fraction: float = 0.2, blur_fraction: float = 0.3,
                         cover: tuple[float, float] = (0.3, 0.75), quality: int = 92,
                         patch_splits: dict[str, float] | None = None) -> dict:
    """Write ``n`` synthetic underwater seagrass frames with image labels and pixel/patch truth.

    Class order (csiro): the species in the given order, then ``Background`` — by default
    **Strappy=0, Ferny=1, Rounded=2, Background=3**. A frame is ``grid`` (rows, cols) patches
    of ``patch`` (H, W) pixels: 260x464 by default. Each frame carries one label: a species
    (its seagrass, drawn as strap-like blades / fronds with leaflets / round leaves, covers a
    smooth random region of the sand that ignores patch boundaries) or ``Background`` (exactly
    ``round(n * background_fraction)`` frames: sand and water only). Some frames get a blur
    (``blur_fraction``), most a green or blue cast, all a brightness gradient and noise.

    Layout under ``out_dir``::

        frames/<Class>/<id>.jpg     the DeepSeagrass whole-frame layout: folder = image label
        pixel_masks/<id>.png        palette PNG, class index per pixel
        patch_labels/<id>.npy       (rows, cols) int64: majority class of each patch's pixels
                                    (ties go to the lower class index)
        labels.json, classes.txt    classes, grid, patch size, per-frame label and patch labels

    ids are ``Image<i>``. ``patch_splits`` (e.g. ``{'train': 0.6, 'val': 0.2, 'test': 0.2}``)
    also runs :func:`export_seagrass_patches`. Returns counts and class frequencies.
    """
    classes = list(species) + ['Background']
    bg = len(species)
    gr, gc = grid
    ph, pw = patch
    shape = (gr * ph, gc * pw)
    out = Path(out_dir)
    n_bg = int(round(n * background_fraction))
    labels = [bg] * n_bg + [i % bg for i in range(n - n_bg)]
    labels = [int(v) for v in np.random.default_rng([seed, 2]).permutation(labels)]
    palette = np.array([SEAGRASS_COLOURS.get(c, tuple(make_palette(bg + 1)[i]))
                        for i, c in enumerate(classes)], np.uint8)
    pix = np.zeros(bg + 1, np.int64)
    patch_count = np.zeros(bg + 1, np.int64)
    frames = {}
    for i, lab in enumerate(labels):
        rng = np.random.default_rng([seed, 1, i])
        img, region = _seagrass_frame(rng, shape, None if lab == bg else lab, cover)
        if rng.random() < blur_fraction:
            img = ndimage.gaussian_filter(img, (*[rng.uniform(1.0, 2.5)] * 2, 0))
        img = np.clip(img + rng.normal(0, rng.uniform(2, 5), img.shape), 0, 255).round().astype(np.uint8)
        truth = np.full(shape, bg, np.uint8)
        truth[region] = lab
        plab = patch_majority(truth, grid, bg + 1)
        fid = f'Image{i}'
        _write_jpg(out / 'frames' / classes[lab] / f'{fid}.jpg', img, quality)
        write_png_atomic(out / 'pixel_masks' / f'{fid}.png', truth, palette=palette)
        _write_npy(out / 'patch_labels' / f'{fid}.npy', plab)
        frames[fid] = {'label': classes[lab], 'label_index': lab, 'patch_labels': plab.tolist()}
        pix += np.bincount(truth.ravel(), minlength=bg + 1)
        patch_count += np.bincount(plab.ravel(), minlength=bg + 1)
    summary = {'n_frames': n, 'classes': classes, 'frame_size': list(shape),
               'frame_labels': {c: labels.count(j) for j, c in enumerate(classes)},
               'pixel_freq': {c: float(v) for c, v in zip(classes, pix / max(pix.sum(), 1))},
               'patch_freq': {c: float(v) for c, v in zip(classes, patch_count / max(patch_count.sum(), 1))}}
    _atomic(out / 'classes.txt', lambda f: f.write(('\n'.join(classes) + '\n').encode()))
    _write_json(out / 'labels.json', dict(summary, generator='wsseg.datasets.synthetic.make_seagrass_frames',
                                          seed=seed, grid=list(grid), patch=list(patch),
                                          palette=palette.tolist(), frames=frames))
    if patch_splits:
        summary['patches'] = export_seagrass_patches(out, patch_splits, seed=seed, quality=quality)
    return summary


def patch_majority(truth: np.ndarray, grid: tuple[int, int], num_classes: int) -> np.ndarray:
    """(rows, cols) int64 majority class of each grid cell of ``truth`` (ties: lower index)."""
    gr, gc = grid
    h, w = truth.shape
    if h % gr or w % gc:
        raise ValueError(f'patch_majority: a {w}x{h} mask does not split into a {gr}x{gc} grid')
    cells = truth.reshape(gr, h // gr, gc, w // gc)
    counts = np.stack([(cells == k).sum((1, 3)) for k in range(num_classes)])
    return counts.argmax(0).astype(np.int64)


def export_seagrass_patches(root, splits: dict[str, float] | None = None, seed: int = 0,
                            out_dir=None, quality: int = 92) -> dict:
    """Cut the frames written by :func:`make_seagrass_frames` into labelled patch folders.

    Writes ``<out_dir or root/patches>/<split>/<Class>/<id>_Row<r>_Col<c>.jpg`` (0-based rows and
    columns, as in the DeepSeagrass README), the class being the patch's majority label. Frames,
    not patches, are assigned to splits (shuffled with ``seed``, cut by the given fractions), so
    no frame feeds two splits. Returns ``{split: {class: count}}``.
    """
    root = Path(root)
    meta = json.loads((root / 'labels.json').read_text())
    splits = splits or {'train': 0.6, 'val': 0.2, 'test': 0.2}
    total = sum(splits.values())
    if total <= 0:
        raise ValueError(f'export_seagrass_patches: split fractions {splits} must sum to > 0')
    ids = sorted(meta['frames'], key=lambda s: int(s[5:]) if s[5:].isdigit() else s)
    ids = [ids[i] for i in np.random.default_rng([seed, 3]).permutation(len(ids))]
    bounds = np.rint(np.cumsum([v / total for v in splits.values()]) * len(ids)).astype(int)
    out = Path(out_dir) if out_dir else root / 'patches'
    ph, pw = meta['patch']
    counts: dict = {}
    start = 0
    for split, end in zip(splits, bounds):
        counts[split] = {c: 0 for c in meta['classes']}
        for fid in ids[start:end]:
            info = meta['frames'][fid]
            img = np.asarray(Image.open(root / 'frames' / info['label'] / f'{fid}.jpg').convert('RGB'))
            for r, row in enumerate(info['patch_labels']):
                for c, lab in enumerate(row):
                    name = meta['classes'][lab]
                    crop = np.ascontiguousarray(img[r * ph:(r + 1) * ph, c * pw:(c + 1) * pw])
                    _write_jpg(out / split / name / f'{fid}_Row{r}_Col{c}.jpg', crop, quality)
                    counts[split][name] += 1
        start = end
    return counts
