"""PASCAL VOC 2012: masks, Annotations XML boxes, ScribbleSup scribbles and point JSON.

Layout (``data_root`` = ``VOCdevkit/VOC2012``)::

    JPEGImages/<id>.jpg  SegmentationClass[Aug]/<id>.png  Annotations/<id>.xml
    ImageSets/Segmentation/{train,val,train_aug}.txt

A split list holds one ``<id>`` per line, or the two-column rloss / DeepLab form
``JPEGImages/<id>.jpg pascal_2012_scribble/<id>.png`` (``.../SegmentationClassAug/<id>.png``).
"""
from __future__ import annotations

import json
import re
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Sequence

import numpy as np
from PIL import Image

from wsseg.datasets.base import WeakSegDataset
from wsseg.registry import DATASETS
from wsseg.structures import IGNORE, voc_palette
from wsseg.utils.io import DataError, read_mask

VOC_CLASSES = ('background', 'aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car',
               'cat', 'chair', 'cow', 'diningtable', 'dog', 'horse', 'motorbike', 'person',
               'pottedplant', 'sheep', 'sofa', 'train', 'tvmonitor')

# ScribbleSup / PASCAL-Context short names of VOC classes (after _norm).
VOC_ALIASES = {'plane': 'aeroplane', 'airplane': 'aeroplane', 'bike': 'bicycle',
               'table': 'diningtable', 'motorcycle': 'motorbike', 'plant': 'pottedplant',
               'monitor': 'tvmonitor', 'tv': 'tvmonitor', 'bg': 'background'}

# PASCAL-Context names that are not VOC classes (the ScribbleSup XMLs use them).
CONTEXT_STUFF = frozenset((
    'bag', 'bed', 'bedclothes', 'bench', 'book', 'building', 'cabinet', 'ceiling', 'cloth',
    'computer', 'cup', 'curtain', 'door', 'fence', 'floor', 'flower', 'food', 'grass', 'ground',
    'keyboard', 'light', 'mountain', 'mouse', 'plate', 'platform', 'road', 'rock', 'shelves',
    'sidewalk', 'sign', 'sky', 'snow', 'track', 'tree', 'truck', 'wall', 'water', 'window', 'wood'))

UNKNOWN_POLICIES = ('background', 'ignore', 'error')


def _norm(name: str) -> str:
    return re.sub(r'[^a-z0-9]', '', name.lower())


def voc_class_index(name: str, classes: Sequence[str] = VOC_CLASSES, source: str = '') -> int:
    """Index of a VOC class given by its VOC or ScribbleSup short name; DataError if unknown."""
    key = _norm(name)
    key = VOC_ALIASES.get(key, key)
    normed = [_norm(c) for c in classes]
    if key in normed:
        return normed.index(key)
    raise DataError(f'{source}: unknown class name {name!r}; expected one of {list(classes)}')


def _text(el: ET.Element | None, tag: str, source, default=None):
    """Text of child ``tag`` (any letter case) of ``el``."""
    if el is not None:
        for child in el:
            if child.tag.lower() == tag.lower() and child.text is not None and child.text.strip():
                return child.text.strip()
    if default is not None:
        return default
    raise DataError(f'{source}: missing or empty <{tag}> in <{getattr(el, "tag", "?")}>')


def _num(el: ET.Element, tag: str, source) -> float:
    s = _text(el, tag, source)
    try:
        v = float(s)
    except ValueError:
        raise DataError(f'{source}: <{tag}> is not a number: {s!r}') from None
    if not np.isfinite(v):
        raise DataError(f'{source}: <{tag}> is not a finite number: {s!r}')
    return v


def _parse_xml(path: Path) -> ET.Element:
    if not path.is_file():
        raise DataError(f'{path}: annotation XML not found')
    try:
        return ET.parse(path).getroot()
    except ET.ParseError as e:
        raise DataError(f'{path}: malformed XML ({e})') from e


def _xml_size(root: ET.Element, path) -> tuple[int, int] | None:
    """(H, W) from ``<size>``, or None when absent or zero."""
    size = root.find('size')
    if size is None:
        return None
    w, h = _text(size, 'width', path, '0'), _text(size, 'height', path, '0')
    try:
        h, w = int(float(h)), int(float(w))
    except (ValueError, OverflowError):
        raise DataError(f'{path}: <size> is not numeric ({w!r} x {h!r})') from None
    return (h, w) if h > 0 and w > 0 else None


def _image_size(path: Path) -> tuple[int, int]:
    """(H, W) from an image header (does not decode the pixels)."""
    try:
        with Image.open(path) as im:
            return im.size[1], im.size[0]
    except (OSError, SyntaxError) as e:
        raise DataError(f'{path}: corrupt or unreadable image ({e})') from e


def parse_voc_xml(path: str | Path, classes: Sequence[str] = VOC_CLASSES,
                  image_shape: tuple[int, int] | None = None) -> dict:
    """Parse a VOC ``Annotations`` XML.

    Returns ``boxes`` (N, 4) float32 xyxy 0-based with x2/y2 exclusive (VOC's 1-based inclusive
    ``xmin..xmax`` becomes ``xmin - 1 .. xmax``), ``box_labels``, ``box_difficult`` (bool),
    ``tags`` and, for VOC Action XMLs, ``points`` / ``point_labels`` (see
    :func:`voc_points_from_action_xml`). Boxes are checked against ``<size>`` (or
    ``image_shape`` when the XML has none; both given must agree): a degenerate box or one
    outside the image is a :class:`DataError` naming the file.
    """
    path = Path(path)
    root = _parse_xml(path)
    shape = _xml_size(root, path) or image_shape
    if image_shape is not None and tuple(shape) != tuple(image_shape):
        raise DataError(f'{path}: <size> {shape[1]}x{shape[0]} differs from the image '
                        f'{image_shape[1]}x{image_shape[0]}')
    boxes, labels, difficult = [], [], []
    for i, obj in enumerate(root.findall('object')):
        name = _text(obj, 'name', f'{path}: object {i}')
        labels.append(voc_class_index(name, classes, f'{path}: object {i}'))
        bb = obj.find('bndbox')
        if bb is None:
            raise DataError(f'{path}: object {i} ({name}) has no <bndbox>')
        xmin, ymin, xmax, ymax = (_num(bb, t, path) for t in ('xmin', 'ymin', 'xmax', 'ymax'))
        box = [xmin - 1, ymin - 1, xmax, ymax]
        if not (box[2] > box[0] and box[3] > box[1]):
            raise DataError(f'{path}: object {i} ({name}) box xmin={xmin:g} ymin={ymin:g} '
                            f'xmax={xmax:g} ymax={ymax:g} is degenerate (empty width or height)')
        if shape is not None:
            h, w = shape
            if box[0] < 0 or box[1] < 0 or box[2] > w or box[3] > h:
                raise DataError(f'{path}: object {i} ({name}) box xmin={xmin:g} ymin={ymin:g} '
                                f'xmax={xmax:g} ymax={ymax:g} lies outside the image ({w}x{h}; '
                                'VOC boxes are 1-based)')
        boxes.append(box)
        difficult.append(_text(obj, 'difficult', path, '0') not in ('0', 'false', 'False'))
    labels_arr = np.asarray(labels, np.int64)
    points, point_labels = voc_points_from_action_xml(path, classes, root=root, shape=shape)
    return dict(boxes=np.asarray(boxes, np.float32).reshape(-1, 4), box_labels=labels_arr,
                box_difficult=np.asarray(difficult, bool),
                tags=sorted(set(labels_arr[labels_arr != 0].tolist())),
                points=points, point_labels=point_labels, shape=shape)


def voc_points_from_action_xml(path: str | Path, classes: Sequence[str] = VOC_CLASSES, *,
                               root: ET.Element | None = None,
                               shape: tuple[int, int] | None = None
                               ) -> tuple[np.ndarray, np.ndarray]:
    """Per-person ``<object><point><x/><y/></point>`` of a VOC Action XML, as class ``person``.

    Returns ``points`` (M, 2) int64 (x, y), 0-based (VOC pixels are 1-based), and labels (M,).
    An XML without such points gives empty arrays. A point outside ``<size>`` is a DataError.
    """
    path = Path(path)
    root = _parse_xml(path) if root is None else root
    shape = shape or _xml_size(root, path)
    person = voc_class_index('person', classes, str(path))
    pts = []
    for i, obj in enumerate(root.findall('object')):
        for pt in obj.findall('point'):
            x, y = _num(pt, 'x', path) - 1, _num(pt, 'y', path) - 1
            x, y = int(np.floor(x)), int(np.floor(y))
            if shape is not None and not (0 <= x < shape[1] and 0 <= y < shape[0]):
                raise DataError(f'{path}: object {i} point ({x + 1}, {y + 1}) lies outside the '
                                f'image ({shape[1]}x{shape[0]})')
            pts.append((x, y))
    return (np.asarray(pts, np.int64).reshape(-1, 2), np.full(len(pts), person, np.int64))


def _scribble_class(tag: str, classes: Sequence[str], unknown: str, source: str) -> int | None:
    """Class index of a ScribbleSup tag; None means 'do not draw'."""
    try:
        return voc_class_index(tag, classes, source)
    except DataError:
        pass
    known_stuff = _norm(tag) in CONTEXT_STUFF
    if unknown == 'error' and not known_stuff:
        raise DataError(f'{source}: scribble tag {tag!r} is neither a VOC class nor a '
                        'PASCAL-Context class')
    if unknown == 'ignore':
        return None
    return voc_class_index('background', classes, source)


def rasterize_scribble_xml(path: str | Path, shape: tuple[int, int],
                           classes: Sequence[str] = VOC_CLASSES, unknown: str = 'background',
                           width: int = 3) -> np.ndarray:
    """Draw a ScribbleSup XML into an (H, W) uint8 map, 255 = unlabelled.

    Each ``<polygon>`` is one scribble: its ``<tag>`` names the class and its ordered
    ``<point><X/><Y/></point>`` list is a polyline (not closed), drawn with a square brush of
    side ``width`` (every pixel within Chebyshev distance ``width // 2`` of the 1-pixel line).
    ``X``/``Y`` are 0-based column/row. Each segment of a stroke that leaves the image is
    clipped at the image border (it keeps its slope; see :func:`stroke_pixels`); a stroke with
    no pixel inside the image draws nothing and warns naming the file and the polygon.
    Later scribbles overwrite earlier ones. Short ScribbleSup names (plane, bike, table,
    motorbike, plant, monitor, ...) map onto the VOC names.

    ``unknown`` handles tags that are not VOC classes:
    ``'background'`` (default; PASCAL-Context stuff such as sky, grass or road *is* VOC
    background) draws them as background, and so does a name in neither vocabulary;
    ``'ignore'`` leaves them unlabelled; ``'error'`` draws Context stuff as background but
    raises :class:`DataError` for a name in neither vocabulary.
    A file without any scribble, a malformed file, a coordinate that is not a finite number,
    or a ``<size>`` that differs from ``shape`` raise :class:`DataError` naming the file.
    """
    if unknown not in UNKNOWN_POLICIES:
        raise ValueError(f'unknown={unknown!r}: expected one of {UNKNOWN_POLICIES}')
    path = Path(path)
    h, w = int(shape[0]), int(shape[1])
    root = _parse_xml(path)
    xml_shape = _xml_size(root, path)
    if xml_shape is not None and xml_shape != (h, w):
        raise DataError(f'{path}: <size> {xml_shape[1]}x{xml_shape[0]} differs from the image '
                        f'{w}x{h}')
    polygons = root.findall('polygon')
    if not polygons:
        raise DataError(f'{path}: scribble file holds no <polygon> (empty scribble annotation)')
    out = np.full((h, w), IGNORE, np.uint8)
    r = width // 2
    offsets = [(dy, dx) for dy in range(-r, r + 1) for dx in range(-r, r + 1)]
    for i, poly in enumerate(polygons):
        src = f'{path}: polygon {i}'
        tag = _text(poly, 'tag', src)
        cls = _scribble_class(tag, classes, unknown, src)
        pts = [(_num(p, 'x', src), _num(p, 'y', src)) for p in poly.findall('point')]
        if not pts:
            raise DataError(f'{src} has no <point>')
        xy = np.asarray(pts, np.float64)        # finite: _num refuses NaN and inf
        if cls is None:
            continue
        # the brush reaches r pixels beyond the line: keep the parts of the line that come
        # that close to the image, and the brush pixels inside it
        rr, cc = stroke_pixels(np.rint(xy), (-r, -r, w - 1 + r, h - 1 + r))
        yy = (rr[:, None] + np.array([o[0] for o in offsets])).ravel()
        xx = (cc[:, None] + np.array([o[1] for o in offsets])).ravel()
        ok = (yy >= 0) & (yy < h) & (xx >= 0) & (xx < w)
        if not ok.any():
            warnings.warn(f'{src} ({tag}): the scribble lies wholly outside the image ({w}x{h}); '
                          'nothing drawn', stacklevel=2)
            continue
        out[yy[ok], xx[ok]] = cls
    return out


def segment_pixels(x0: int, y0: int, x1: int, y1: int, box: tuple[int, int, int, int]
                   ) -> tuple[np.ndarray, np.ndarray]:
    """(rows, cols) of the pixels of ``skimage.draw.line(y0, x0, y1, x1)`` that lie in ``box``
    (x0, y0, x1, y1, inclusive), without drawing the rest: the segment is clipped first.

    skimage's Bresenham line makes one pixel per step ``i`` along the longer axis, and its
    offset along the shorter one is ``floor((2 * short * i + long) / (2 * long))``; only the
    steps whose long-axis coordinate is inside ``box`` are made, so a stroke that crosses the
    border keeps its slope and far-away coordinates cost nothing. Python integers: exact for
    any size.
    """
    steep = abs(y1 - y0) > abs(x1 - x0)
    if steep:         # walk along y: swap the axes, and swap back at the end
        x0, y0, x1, y1 = y0, x0, y1, x1
        box = (box[1], box[0], box[3], box[2])
    n, m = abs(x1 - x0), abs(y1 - y0)
    sx, sy = (1 if x1 >= x0 else -1), (1 if y1 >= y0 else -1)
    lo, hi = (box[0] - x0, box[2] - x0) if sx > 0 else (x0 - box[2], x0 - box[0])
    steps = range(max(lo, 0), min(hi, n) + 1)
    xs = [x0 + sx * i for i in steps]
    ys = [y0 + sy * ((2 * m * i + n) // (2 * n)) if n else y0 for i in steps]
    keep = [box[1] <= y <= box[3] for y in ys]
    xs = np.array([x for x, k in zip(xs, keep) if k], np.int64)
    ys = np.array([y for y, k in zip(ys, keep) if k], np.int64)
    return (xs, ys) if steep else (ys, xs)


def stroke_pixels(xy: np.ndarray, box: tuple[int, int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    """(rows, cols) of the 1-pixel polyline through the integer points ``xy`` (M, 2) (x, y),
    each segment clipped at ``box`` (see :func:`segment_pixels`)."""
    pts = [(int(x), int(y)) for x, y in xy]
    segs = list(zip(pts[:-1], pts[1:])) or [(pts[0], pts[0])]
    parts = [segment_pixels(*p0, *p1, box) for p0, p1 in segs]
    return (np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]))


def load_scribble(path: str | Path, shape: tuple[int, int], classes: Sequence[str] = VOC_CLASSES,
                  unknown: str = 'background') -> np.ndarray:
    """A scribble map from a rasterised PNG (checked) or a ScribbleSup XML (rasterised)."""
    path = Path(path)
    if path.suffix.lower() == '.xml':
        return rasterize_scribble_xml(path, shape, classes, unknown)
    return read_mask(path, len(classes), shape)


def _load_points_json(path: Path) -> dict:
    if not path.is_file():
        raise DataError(f'{path}: points file not found')
    try:
        data = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise DataError(f'{path}: malformed JSON ({e})') from e
    if not isinstance(data, dict):
        raise DataError(f'{path}: expected a JSON object {{image_id: [{{"x", "y", "cls"}}, ...]}}')
    return data


def _parse_points(entries, classes: Sequence[str], shape: tuple[int, int],
                  source: str) -> tuple[np.ndarray, np.ndarray]:
    """Points of one image from the JSON list; class may be an index or a name."""
    if not isinstance(entries, list):
        raise DataError(f'{source}: expected a list of {{"x", "y", "cls"}} objects')
    pts, labels = [], []
    h, w = shape
    for j, e in enumerate(entries):
        if not isinstance(e, dict) or not {'x', 'y', 'cls'} <= set(e):
            raise DataError(f'{source}: point {j} must have keys "x", "y" and "cls", got {e!r}')
        cls = e['cls']
        if isinstance(cls, str):
            cls = voc_class_index(cls, classes, f'{source}: point {j}')
        elif not isinstance(cls, int) or isinstance(cls, bool) or not 0 <= cls < len(classes):
            raise DataError(f'{source}: point {j} class {cls!r} outside 0..{len(classes) - 1}')
        if not all(isinstance(e[k], (int, float)) and not isinstance(e[k], bool)
                   and np.isfinite(e[k]) for k in 'xy'):
            raise DataError(f'{source}: point {j} coordinates must be finite numbers, got {e!r}')
        x, y = int(np.floor(e['x'])), int(np.floor(e['y']))
        if not (0 <= x < w and 0 <= y < h):
            raise DataError(f'{source}: point {j} ({x}, {y}) lies outside the image ({w}x{h})')
        pts.append((x, y))
        labels.append(cls)
    return np.asarray(pts, np.int64).reshape(-1, 2), np.asarray(labels, np.int64)


@DATASETS.register_module()
class VOCDataset(WeakSegDataset):
    """PASCAL VOC 2012 (or SBD-augmented) segmentation with optional weak labels.

    Args:
        data_root: the ``VOC2012`` folder.
        split: a list name under ``ImageSets/Segmentation`` (``'train'``, ``'val'``,
            ``'train_aug'``) or a path to a list file (relative to ``data_root`` or absolute).
        mask_dir: ``'SegmentationClass'``, ``'SegmentationClassAug'``, or None for no masks.
        with_boxes: read ``Annotations/<id>.xml`` into ``boxes``, ``box_labels``,
            ``box_difficult`` and ``tags`` (plus Action ``points`` when present).
        with_tags: read only ``tags`` from the XML objects.
        scribble_dir: folder of ScribbleSup ``<id>.xml`` or rasterised ``<id>.png``.
        points_file: JSON ``{id: [{"x": .., "y": .., "cls": index or name}]}``, 0-based pixels.
        scribble_unknown: policy for non-VOC scribble tags (see :func:`rasterize_scribble_xml`);
            stored in each item as ``scribble_unknown``.
    """

    METAINFO = dict(classes=VOC_CLASSES, palette=voc_palette(len(VOC_CLASSES)).tolist())

    def __init__(self, data_root: str = '', split: str = 'train',
                 mask_dir: str | None = 'SegmentationClass', img_dir: str = 'JPEGImages',
                 ann_dir: str = 'Annotations', with_boxes: bool = False, with_tags: bool = False,
                 scribble_dir: str | None = None, points_file: str | None = None,
                 scribble_unknown: str = 'background', pipeline: list | None = None, **kwargs):
        if scribble_unknown not in UNKNOWN_POLICIES:
            raise ValueError(f'VOCDataset: scribble_unknown={scribble_unknown!r}, expected one '
                             f'of {UNKNOWN_POLICIES}')
        p = Path(split)
        ann_file = str(p) if (p.suffix or len(p.parts) > 1) else f'ImageSets/Segmentation/{split}.txt'
        root = Path(data_root)
        self.root = root
        self.img_dir, self.mask_dir, self.ann_dir = root / img_dir, mask_dir, root / ann_dir
        self.with_boxes, self.with_tags = with_boxes, with_tags
        self.scribble_dir = None if scribble_dir is None else root / scribble_dir
        self.points_file = None if points_file is None else root / points_file
        self.scribble_unknown = scribble_unknown
        super().__init__(ann_file=ann_file, data_root=data_root, pipeline=pipeline or [], **kwargs)

    def _list_entries(self, list_file: Path):
        """(img_id, img_path, second_column_path or None) per line of a split list."""
        if not list_file.is_file():
            raise DataError(f'{list_file}: split list not found')
        entries = []
        for n, raw in enumerate(list_file.read_text().splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith('#'):
                continue
            parts = line.split()
            if len(parts) > 2:
                raise DataError(f'{list_file}: line {n}: expected "<id>" or "<image> <label>", '
                                f'got {line!r}')
            if len(parts) == 1 and not Path(parts[0]).suffix:
                img_id, img, second = parts[0], self.img_dir / f'{parts[0]}.jpg', None
            else:
                img = self.root / parts[0].lstrip('/')
                img_id = img.stem
                second = self.root / parts[1].lstrip('/') if len(parts) == 2 else None
            if not img.is_file():
                raise DataError(f'{list_file}: line {n}: image {img} not found')
            if second is not None and not second.is_file():
                raise DataError(f'{list_file}: line {n}: label file {second} not found')
            entries.append((img_id, img, second))
        if not entries:
            raise DataError(f'{list_file}: split list is empty')
        return entries

    def _is_scribble(self, path: Path) -> bool:
        folder = path.parent.name
        return 'scribble' in folder.lower() or (self.scribble_dir is not None
                                                and folder == self.scribble_dir.name)

    def load_data_list(self) -> list[dict]:
        list_file = Path(self.ann_file)
        classes = tuple(self.metainfo['classes'])
        points = (None if self.points_file is None else _load_points_json(self.points_file))
        data_list = []
        for img_id, img, second in self._list_entries(list_file):
            info = dict(img_path=str(img), img_id=img_id, seg_map_path=None)
            if second is not None and not self._is_scribble(second):
                info['seg_map_path'] = str(second)
            elif self.mask_dir is not None:
                mask = self.root / self.mask_dir / f'{img_id}.png'
                if not mask.is_file():
                    raise DataError(f'{mask}: mask not found for image {img} (split list '
                                    f'{list_file}); use mask_dir=None for no masks')
                info['seg_map_path'] = str(mask)
            scribble = second if second is not None and self._is_scribble(second) else None
            if scribble is None and self.scribble_dir is not None:
                cands = [self.scribble_dir / f'{img_id}{s}' for s in ('.png', '.xml')]
                scribble = next((c for c in cands if c.is_file()), None)
                if scribble is None:
                    raise DataError(f'{self.scribble_dir}: no scribble {img_id}.png or '
                                    f'{img_id}.xml for image {img}')
            if scribble is not None:
                info['scribble_path'] = str(scribble)
                info['scribble_unknown'] = self.scribble_unknown
            shape = None
            if self.with_boxes or self.with_tags:
                ann = parse_voc_xml(self.ann_dir / f'{img_id}.xml', classes)
                shape = ann['shape']
                info['tags'] = ann['tags']
                if self.with_boxes:
                    for k in ('boxes', 'box_labels', 'box_difficult', 'points', 'point_labels'):
                        info[k] = ann[k]
            if points is not None and img_id in points:
                shape = shape or _image_size(img)
                pts, lab = _parse_points(points[img_id], classes, shape,
                                         f'{self.points_file}: image {img_id}')
                info['points'] = np.concatenate([info.get('points', np.zeros((0, 2), np.int64)), pts])
                info['point_labels'] = np.concatenate(
                    [info.get('point_labels', np.zeros(0, np.int64)), lab])
            data_list.append(self.parse_data_info(info))
        return data_list
