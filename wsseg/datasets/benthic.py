"""Seafloor frames composed from real ROV patches (``benthic_patches``), a DeepSeagrass stand-in.

The patches (``<patch_root>/<class>/*.jpg``, 112x112, CoralNet point labels: a patch is centred
on one labelled point) have no whole frames, so :func:`compose_benthic_frames` builds them:

- a frame is a ``grid`` (5x8, as DeepSeagrass) of patches of ``patch_size`` px;
- each frame has one **dominant group**: a 4-connected region of ``dominant`` cells (default
  20..32 of 40, i.e. 50-80%, uniform) drawn from that group's patches; the other cells are
  **fill** patches (substrate, ``fill=('SU_*',)``) of the other groups. A frame of a group made
  only of fill classes (``Background``) is fill everywhere. The image label is the dominant
  group, which is also every frame's most frequent patch label;
- groups are sets of class folders (``fnmatch`` patterns); the default ``'morphotype'`` is
  Background / Strappy / Ferny / Rounded (csiro order, background last), ``'classes'`` makes
  every class folder its own group; any dict ``{group: [patterns]}`` works. Classes in no
  group are not used;
- every class's patches are split once, seeded, into ``splits`` (train/val/test shares), so no
  patch appears in two splits. Inside a split a patch may appear in several frames (never
  twice in one frame), drawn so that all of the split's patches are used evenly;
  ``reuse=False`` forbids that.

Layout under ``out_dir`` (the synthetic seagrass layout, so every patch-path config reads it)::

    <split>/frames/<Group>/<id>.jpg     the DeepSeagrass whole-frame layout: folder = image label
    <split>/patch_labels/<id>.npy       (rows, cols) int64 group index per cell
    <split>/pixel_masks/<id>.png        the patch labels painted to pixels (palette PNG)
    <split>/patches/<Group>/<name>.jpg  the split's patches at patch_size (SimCLR input;
                                        ``export_patches=False`` skips them)
    <split>/labels.json                 classes, per-frame label, patch labels, patch sources
    compose.json                        the parameters; frames are reused while they match

Every file is written atomically; ``compose.json`` comes last, so an interrupted composition
is redone. Other parameters recompose into a fresh folder swapped in place.
"""
from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
from PIL import Image

from wsseg.datasets.deepseagrass import COLOURS, DeepSeagrassFrames
from wsseg.registry import DATASETS
from wsseg.structures import make_palette
from wsseg.utils.io import DataError, atomic_write, read_image, write_json_atomic, write_png_atomic

SUFFIXES = ('.jpg', '.jpeg', '.png')
# Close to the seagrass morphotypes (the data README): csiro order, background last.
GROUPINGS: dict[str, dict[str, tuple[str, ...]]] = {
    'morphotype': {'Strappy': ('KE_*',), 'Ferny': ('RE_fil', 'RE_branch', 'RE_bush'),
                   'Rounded': ('RE_leaf', 'GR_ulva'), 'Background': ('SU_*',)},
}
VERSION = 1


def class_folders(patch_root: str | Path) -> dict[str, list[Path]]:
    """``{class: sorted image files}`` of ``<patch_root>/<class>/``; an empty folder is an error."""
    root = Path(patch_root)
    if not root.is_dir():
        raise DataError(f'{root}: benthic patch folder not found (expected <root>/<class>/*.jpg)')
    out = {}
    for d in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(('.', '_'))):
        files = sorted(f for f in d.iterdir() if f.is_file() and f.suffix.lower() in SUFFIXES
                       and not f.name.startswith(('.', '_')))
        if not files:
            raise DataError(f'{d}: class folder {d.name!r} holds no image ({"/".join(SUFFIXES)})')
        out[d.name] = files
    if not out:
        raise DataError(f'{root}: no class folder found (expected <root>/<class>/*.jpg)')
    return out


def resolve_grouping(grouping: str | Mapping[str, Sequence[str]], classes: Sequence[str]) -> dict[str, list[str]]:
    """``{group: [class folders]}``: a preset name (``'morphotype'``, ``'classes'``) or a dict of
    fnmatch patterns. A pattern matching no class folder, or a class in two groups, is an error."""
    if isinstance(grouping, str):
        if grouping == 'classes':
            return {c: [c] for c in classes}
        if grouping not in GROUPINGS:
            raise ValueError(f"grouping={grouping!r}: expected 'classes', one of {sorted(GROUPINGS)} or a dict")
        grouping = GROUPINGS[grouping]
    out, owner = {}, {}
    for group, patterns in grouping.items():
        if isinstance(patterns, str):
            patterns = [patterns]
        members = []
        for pat in patterns:
            hit = [c for c in classes if fnmatch.fnmatchcase(c, pat)]
            if not hit:
                raise DataError(f'grouping: group {group!r} names {pat!r}, which matches no class folder; '
                                f'the classes are {list(classes)}')
            members += [c for c in hit if c not in members]
        for c in members:
            if c in owner and owner[c] != group:
                raise DataError(f'grouping: class {c!r} is in two groups, {owner[c]!r} and {group!r}')
            owner[c] = group
        out[str(group)] = members
    return out


def group_names(grouping: str | Mapping[str, Sequence[str]], patch_root: str | Path | None = None) -> tuple[str, ...]:
    """The class names (groups) of a grouping, in label order; ``'classes'`` needs ``patch_root``."""
    if grouping == 'classes':
        if patch_root is None:
            raise ValueError("group_names('classes') needs patch_root to list the class folders")
        return tuple(class_folders(patch_root))
    return tuple(GROUPINGS[grouping] if isinstance(grouping, str) else grouping)


def split_patches(files: dict[str, list[Path]], shares: Mapping[str, float], seed: int) -> dict[str, dict[str, list[Path]]]:
    """``{split: {class: files}}``: each class's files permuted (seeded) and cut by the shares."""
    total = sum(shares.values())
    if total <= 0 or any(v < 0 for v in shares.values()):
        raise ValueError(f'splits={dict(shares)}: shares must be >= 0 with a positive sum')
    out = {s: {} for s in shares}
    for ci, (c, fs) in enumerate(sorted(files.items())):
        order = np.random.default_rng([seed, 7, ci]).permutation(len(fs))
        cuts = np.round(np.cumsum([v / total for v in shares.values()]) * len(fs)).astype(int)
        start = 0
        for s, end in zip(shares, cuts):
            out[s][c] = [fs[i] for i in order[start:end]]
            start = end
    return out


def grow_region(rng: np.random.Generator, grid: tuple[int, int], n: int) -> np.ndarray:
    """A (rows, cols) bool mask of ``n`` 4-connected cells grown from a random seed cell."""
    rows, cols = grid
    mask = np.zeros(grid, bool)
    mask[rng.integers(rows), rng.integers(cols)] = True
    while mask.sum() < n:
        r, c = np.nonzero(mask)
        cand = {(y, x) for y0, x0 in zip(r, c) for y, x in ((y0 - 1, x0), (y0 + 1, x0), (y0, x0 - 1), (y0, x0 + 1))
                if 0 <= y < rows and 0 <= x < cols and not mask[y, x]}
        y, x = sorted(cand)[rng.integers(len(cand))]
        mask[y, x] = True
    return mask


class _Deck:
    """Draws distinct items per frame, cycling through seeded permutations so all are used evenly."""

    def __init__(self, items: list, rng: np.random.Generator):
        self.items, self.rng, self.deck = items, rng, []

    def draw(self, k: int) -> list:
        chosen: list = []
        while len(chosen) < k:
            free = [i for i, x in enumerate(self.deck) if x not in chosen]
            if not free:
                self.deck = [self.items[i] for i in self.rng.permutation(len(self.items))] + self.deck
                continue
            chosen.append(self.deck.pop(free[-1]))
        return chosen


def _plan(split: str, pools: dict[str, list], groups: list[str], fill_groups: list[str], n_per_group: int,
          dominant: tuple[int, int], cells: int, reuse: bool, members: dict[str, list[str]]) -> None:
    """Raise a DataError when the composition asks for more patches than the split holds."""
    lo, hi = dominant
    for g in groups:
        others = [f for f in fill_groups if f != g]
        need_frame = cells if not others else hi
        need_total = n_per_group * need_frame
        if not others:
            fill_need = 0
        else:
            fill_need = n_per_group * (cells - lo)
        have = len(pools[g])
        if need_frame > have or (not reuse and need_total > have):
            want = need_total if not reuse else need_frame
            what = f'{n_per_group} frames x {need_frame} cells' if not reuse else f'one frame needs {need_frame}'
            raise DataError(f"benthic composition, split {split!r}: group {g!r} ({', '.join(members[g])}) holds "
                            f'{have} patches but the composition asks for {want} ({what}, dominant={list(dominant)}, '
                            f"reuse={reuse}); give the split a larger share, fewer frames or fewer dominant cells")
        if others:
            fill_have = sum(len(pools[f]) for f in others)
            if (cells - lo) > fill_have or (not reuse and fill_need > fill_have):
                raise DataError(f"benthic composition, split {split!r}: frames of {g!r} need up to "
                                f"{fill_need if not reuse else cells - lo} fill patches from {others} but the split "
                                f'holds {fill_have}; give the split a larger share or fewer frames')


def _write_jpg(path: Path, img: np.ndarray, quality: int) -> None:
    with atomic_write(path) as f:
        Image.fromarray(img).save(f, format='JPEG', quality=quality)


def _load_patch(path: Path, size: int) -> np.ndarray:
    img = read_image(path)
    if img.shape[:2] != (size, size):
        img = np.asarray(Image.fromarray(img).resize((size, size), Image.BILINEAR, reducing_gap=None))
    return img


def compose_params(patch_root, grouping, fill, splits, frames_per_group, dominant, grid, patch_size, seed,
                   reuse, quality) -> dict:
    return dict(version=VERSION, patch_root=str(Path(patch_root).resolve()), grouping=grouping, fill=list(fill),
                splits=dict(splits), frames_per_group=dict(frames_per_group), dominant=list(dominant),
                grid=list(grid), patch_size=int(patch_size), seed=int(seed), reuse=bool(reuse), quality=int(quality))


def compose_benthic_frames(patch_root: str | Path, out_dir: str | Path,
                           grouping: str | Mapping[str, Sequence[str]] = 'morphotype',
                           fill: Sequence[str] = ('SU_*',),
                           splits: Mapping[str, float] | None = None,
                           frames_per_group: Mapping[str, int] | None = None,
                           dominant: tuple[int, int] = (20, 32), grid: tuple[int, int] = (5, 8),
                           patch_size: int = 112, seed: int = 0, reuse: bool = True, quality: int = 92,
                           export_patches: bool = True, progress: bool = True) -> dict:
    """Compose (or reuse) the frames under ``out_dir``; see the module docstring. Returns a summary."""
    splits = dict(splits or {'train': 0.6, 'val': 0.2, 'test': 0.2})
    frames_per_group = dict(frames_per_group or {'train': 24, 'val': 8, 'test': 12})
    if set(frames_per_group) - set(splits):
        raise ValueError(f'frames_per_group names splits {sorted(set(frames_per_group) - set(splits))} '
                         f'that are not in splits={sorted(splits)}')
    rows, cols = grid
    cells = rows * cols
    lo, hi = int(dominant[0]), int(dominant[1])
    if not 1 <= lo <= hi <= cells:
        raise ValueError(f'dominant={list(dominant)}: need 1 <= low <= high <= {cells} cells')
    files = class_folders(patch_root)
    groups = resolve_grouping(grouping, list(files))
    params = compose_params(patch_root, grouping if isinstance(grouping, str) else {k: list(v) for k, v in groups.items()},
                            fill, splits, frames_per_group, (lo, hi), grid, patch_size, seed, reuse, quality)
    params['export_patches'] = bool(export_patches)
    params['sources'] = hashlib.sha1('\n'.join(f'{c}/{f.name}' for c, fs in files.items()
                                               for f in fs).encode()).hexdigest()
    out = Path(out_dir)
    done = out / 'compose.json'
    if done.is_file() and json.loads(done.read_text()).get('params') == params:
        return json.loads(done.read_text())['summary']
    owner = {c: g for g, cs in groups.items() for c in cs}
    fill_classes = [c for pat in fill for c in files if fnmatch.fnmatchcase(c, pat)]
    if not fill_classes:
        raise DataError(f'fill={list(fill)}: matches no class folder under {patch_root}')
    missing = [c for c in fill_classes if c not in owner]
    if missing:
        raise DataError(f'fill classes {missing} are in no group of the grouping; their patch labels would be unknown')
    fill_groups = sorted({owner[c] for c in fill_classes}, key=list(groups).index)
    names = list(groups)
    by_split = split_patches({c: files[c] for c in owner}, splits, seed)
    pools = {s: {g: [(c, f) for c in groups[g] for f in by_split[s][c]] for g in names} for s in splits}
    for s, n in frames_per_group.items():
        _plan(s, pools[s], names, fill_groups, n, (lo, hi), cells, reuse, groups)
    palette = np.array([COLOURS.get(g, tuple(make_palette(len(names))[i])) for i, g in enumerate(names)], np.uint8)

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f'.{out.name}.', dir=out.parent))
    summary = {'classes': names, 'groups': groups, 'fill_groups': fill_groups, 'grid': [rows, cols],
               'patch_size': patch_size, 'frame_size': [rows * patch_size, cols * patch_size], 'splits': {}}
    try:
        from tqdm import tqdm
        for si, (split, n) in enumerate(frames_per_group.items()):
            rng = np.random.default_rng([seed, 11, si])
            decks = {g: _Deck(pools[split][g], rng) for g in names}
            fill_decks: dict[tuple, _Deck] = {}
            labels = [g for g in names for _ in range(n)]
            labels = [labels[i] for i in rng.permutation(len(labels))]
            frames, d = {}, tmp / split
            for i, g in enumerate(tqdm(labels, desc=f'compose {split}', disable=not progress)):
                others = [f for f in fill_groups if f != g]
                region = grow_region(rng, grid, cells if not others else int(rng.integers(lo, hi + 1)))
                dom = decks[g].draw(int(region.sum()))
                if others and tuple(others) not in fill_decks:
                    fill_decks[tuple(others)] = _Deck([x for f in others for x in pools[split][f]], rng)
                rest = fill_decks[tuple(others)].draw(cells - len(dom)) if others else []
                cell_src, it_d, it_f = [], iter(dom), iter(rest)
                for r in range(rows):
                    for c in range(cols):
                        cell_src.append(next(it_d) if region[r, c] else next(it_f))
                plab = np.array([names.index(owner[c]) for c, _ in cell_src], np.int64).reshape(rows, cols)
                img = np.concatenate([np.concatenate([_load_patch(cell_src[r * cols + c][1], patch_size)
                                                      for c in range(cols)], 1) for r in range(rows)], 0)
                fid = f'{split}_{i:04d}'
                _write_jpg(d / 'frames' / g / f'{fid}.jpg', img, quality)
                write_png_atomic(d / 'pixel_masks' / f'{fid}.png',
                                 np.kron(plab, np.ones((patch_size, patch_size), np.int64)).astype(np.uint8),
                                 palette=palette)
                with atomic_write(d / 'patch_labels' / f'{fid}.npy') as f:
                    np.save(f, plab)
                frames[fid] = {'label': g, 'label_index': names.index(g), 'patch_labels': plab.tolist(),
                               'sources': [f'{c}/{p.name}' for c, p in cell_src]}
            for c in owner if export_patches else ():
                for p in by_split[split][c]:
                    _write_jpg(d / 'patches' / owner[c] / p.name, _load_patch(p, patch_size), quality)
            counts = np.bincount(np.concatenate([np.ravel(f['patch_labels']) for f in frames.values()]),
                                 minlength=len(names))
            info = {'n_frames': len(frames), 'n_patches': {c: len(by_split[split][c]) for c in owner},
                    'patch_freq': {g: float(v) for g, v in zip(names, counts / max(counts.sum(), 1))}}
            summary['splits'][split] = info
            write_json_atomic(d / 'labels.json', dict(summary, **info, split=split, palette=palette.tolist(),
                                                       frames=frames))
            with atomic_write(d / 'classes.txt') as f:
                f.write(('\n'.join(names) + '\n').encode())
        write_json_atomic(tmp / 'compose.json', dict(params=params, summary=summary))
        _swap_in(tmp, out, params)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return summary


def _swap_in(tmp: Path, out: Path, params: dict) -> None:
    """Put the finished folder ``tmp`` at ``out``; an older composition there is removed."""
    old = None
    if out.exists():
        old = out.with_name(f'.{out.name}.old.{os.getpid()}')
        os.replace(out, old)
    try:
        os.replace(tmp, out)
    except OSError:   # another process swapped its (identical or newer) composition in first
        done = out / 'compose.json'
        if not (done.is_file() and json.loads(done.read_text()).get('params') == params):
            raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


@DATASETS.register_module()
class BenthicFrames(DeepSeagrassFrames):
    """Composed seafloor frames of one split, image label = dominant group (composed on first use).

    Args:
        patch_root: ``benthic_patches`` (``<root>/<class>/*.jpg``).
        data_root: the cache of composed frames (every split); composed there when missing or
            composed with other parameters.
        split: ``'train'``, ``'val'`` or ``'test'`` (a key of ``composition['splits']``).
        composition: keyword arguments of :func:`compose_benthic_frames` (``grouping``, ``fill``,
            ``splits``, ``frames_per_group``, ``dominant``, ``grid``, ``patch_size``, ``seed``, ...).
        class_order: the group names in label order; default: those of the grouping.
    """

    def __init__(self, patch_root: str, data_root: str, split: str = 'train', composition: dict | None = None,
                 class_order: Sequence[str] | None = None, **kwargs):
        composition = dict(composition or {})
        summary = compose_benthic_frames(patch_root, data_root, **composition)
        if split not in summary['splits']:
            raise DataError(f"{data_root}: split {split!r} was not composed; composed splits: "
                            f"{sorted(summary['splits'])}")
        classes = tuple(summary['classes'])
        if class_order is not None and tuple(class_order) != classes:
            raise ValueError(f'BenthicFrames: class_order {tuple(class_order)} differs from the grouping\'s '
                             f'groups {classes} (label order)')
        self.patch_root, self.composition, self.summary = patch_root, composition, summary
        super().__init__(data_root=data_root, split=f'{split}/frames', class_order=classes, **kwargs)

    def describe(self) -> str:
        return f'BenthicFrames(patch_root={self.patch_root!r}, frames={str(self.folder)!r})'
