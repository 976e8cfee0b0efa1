"""COCO instances json: boxes, instance masks (polygons / RLE) and a semantic mask on the fly.

COCO has no mask file, so each item carries ``seg_map_path=None``, the compact annotations
(``coco_anns``) and ``semantic_mask_fn`` = :func:`semantic_mask`, which ``LoadMask`` calls.
Labels are contiguous: 0 = background, 1..K = the json's categories sorted by id.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from pycocotools import mask as mask_utils

from wsseg.datasets.base import WeakSegDataset
from wsseg.registry import DATASETS
from wsseg.structures import IGNORE, make_palette
from wsseg.utils.io import DataError, image_size

BOX_TOLERANCE = 1.0  # px a COCO box may overshoot the image (float rounding) before it is an error


def _to_rle(segm, h: int, w: int) -> dict:
    """Polygons, uncompressed RLE or compressed RLE -> one compressed RLE."""
    if isinstance(segm, list):
        return mask_utils.merge(mask_utils.frPyObjects(segm, h, w))
    if isinstance(segm, dict) and isinstance(segm.get('counts'), list):
        return mask_utils.frPyObjects(segm, h, w)
    if isinstance(segm, dict) and 'counts' in segm:
        counts = segm['counts']
        return dict(size=segm['size'], counts=counts.encode() if isinstance(counts, str) else counts)
    raise ValueError(f'unsupported segmentation {type(segm).__name__}')


def decode_segmentation(segm, h: int, w: int) -> np.ndarray:
    """One COCO ``segmentation`` (polygons or RLE) as an (H, W) bool mask."""
    return mask_utils.decode(_to_rle(segm, h, w)).astype(bool)


def rle_string_counts(s: str) -> list[int]:
    """The run lengths of a compressed COCO RLE string (pycocotools' ``rleFrString`` in Python),
    to check them before pycocotools decodes them: its C decoder trusts that they sum to H*W."""
    counts: list[int] = []
    p = 0
    while p < len(s):
        x = k = 0
        more = True
        while more:
            if p >= len(s):
                raise ValueError('compressed RLE string ends inside a number')
            c = ord(s[p]) - 48
            if not 0 <= c < 64:
                raise ValueError(f'character {s[p]!r} is not in the compressed RLE alphabet')
            x |= (c & 0x1F) << (5 * k)
            more = bool(c & 0x20)
            p += 1
            k += 1
            if not more and c & 0x10:
                x |= -1 << (5 * k)
        if len(counts) > 2:
            x += counts[-2]
        counts.append(x)
    return counts


def check_segmentation(segm, h: int, w: int, src: str) -> None:
    """DataError naming ``src`` unless ``segm`` is polygons (lists of >= 3 finite x, y pairs) or
    an RLE of size [h, w] whose run lengths are >= 0 and sum to h * w."""
    if isinstance(segm, list):
        for poly in segm:
            if (not isinstance(poly, list) or len(poly) < 6 or len(poly) % 2
                    or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in poly)
                    or not np.isfinite(np.asarray(poly, np.float64)).all()):
                raise DataError(f'{src}: segmentation polygon {str(poly)[:60]} is not a list of at '
                                'least 3 finite x, y pairs')
        return
    if not isinstance(segm, dict) or 'counts' not in segm or 'size' not in segm:
        raise DataError(f'{src}: segmentation must be polygons or an RLE dict with size and counts, '
                        f'got {str(segm)[:60]}')
    if segm['size'] != [h, w]:
        raise DataError(f'{src}: RLE size {segm["size"]} differs from the image (height, width) [{h}, {w}]')
    counts = segm['counts']
    try:
        runs = rle_string_counts(counts) if isinstance(counts, str) else list(counts)
    except (TypeError, ValueError) as e:
        raise DataError(f'{src}: RLE counts cannot be read ({e})') from e
    if (not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in runs)
            or sum(runs) != h * w):
        raise DataError(f'{src}: RLE run lengths must be whole numbers >= 0 that sum to '
                        f'height x width = {h * w}')


class CocoMasks(Sequence):
    """Instance masks kept as COCO segmentations, decoded to (H, W) bool on access.

    Behaves like the ``list`` of masks that ``instance_masks`` documents, without holding
    every decoded mask of a large json in memory.
    """

    def __init__(self, segmentations: list, height: int, width: int):
        self.segmentations, self.height, self.width = list(segmentations), height, width

    def __len__(self) -> int:
        return len(self.segmentations)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        return decode_segmentation(self.segmentations[i], self.height, self.width)

    def to_array(self) -> np.ndarray:
        """All masks as (N, H, W) bool."""
        return np.stack(list(self)) if len(self) else np.zeros((0, self.height, self.width), bool)


def semantic_mask(info: dict) -> np.ndarray:
    """Class-index mask (H, W) uint8 of one COCO item.

    Instances are painted by area, largest first, so a smaller object lying on a larger one
    stays visible; crowd regions are painted 255 (ignore) in the same order; the rest is 0.
    """
    h, w = info['height'], info['width']
    out = np.zeros((h, w), np.uint8)
    for ann in sorted(info['coco_anns'], key=lambda a: -a['area']):
        m = decode_segmentation(ann['segmentation'], h, w)
        out[m] = IGNORE if ann['iscrowd'] else ann['label']
    return out


@DATASETS.register_module()
class CocoInstancesDataset(WeakSegDataset):
    """COCO instances json (``ann_file``) with images under ``data_root/img_dir``.

    Each item: ``img_path``, ``img_id`` (file stem), ``coco_image_id``, ``height``, ``width``,
    ``seg_map_path=None``, ``semantic_mask_fn``, ``coco_anns`` (all annotations, crowd
    included, with a contiguous ``label``), ``tags`` (every class present), and for the
    non-crowd instances ``boxes`` (xywh -> xyxy), ``box_labels``, ``instance_masks``
    (:class:`CocoMasks`) and ``coco_ann_ids``.

    A box that overshoots the image by up to 1 px is clipped; more is a :class:`DataError`, as
    is a box with zero width or height unless ``skip_degenerate=True`` (then it is dropped).
    Classes come from the json (set when the data list loads).
    """

    METAINFO = dict(classes=(), palette=None)

    def __init__(self, ann_file: str = 'annotations.json', data_root: str = '',
                 img_dir: str = 'images', skip_degenerate: bool = False,
                 filter_empty: bool = False, pipeline: list | None = None, **kwargs):
        self.img_dir = Path(data_root) / img_dir
        self.skip_degenerate, self.filter_empty = skip_degenerate, filter_empty
        super().__init__(ann_file=ann_file, data_root=data_root, pipeline=pipeline or [], **kwargs)

    def _read_json(self) -> dict:
        path = Path(self.ann_file)
        if not path.is_file():
            raise DataError(f'{path}: COCO annotation file not found')
        try:
            data = json.loads(path.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise DataError(f'{path}: malformed JSON ({e})') from e
        if not isinstance(data, dict):
            raise DataError(f'{path}: not a COCO instances file (a JSON {type(data).__name__}, '
                            'expected an object with images, annotations and categories)')
        missing = {'images', 'annotations', 'categories'} - set(data)
        if missing:
            raise DataError(f'{path}: not a COCO instances file (missing {sorted(missing)})')
        for key, fields in (('images', ('id', 'file_name', 'height', 'width')),
                            ('annotations', ('id', 'image_id', 'category_id')),
                            ('categories', ('id', 'name'))):
            if not isinstance(data[key], list):
                raise DataError(f'{path}: "{key}" must be a list')
            for i, item in enumerate(data[key]):
                if not isinstance(item, dict) or not set(fields) <= set(item):
                    raise DataError(f'{path}: {key}[{i}] must be an object with {list(fields)}, '
                                    f'got {str(item)[:80]}')
        return data

    def _box(self, ann: dict, h: int, w: int, src: str) -> list[float] | None:
        bbox = ann.get('bbox')
        if (not isinstance(bbox, list) or len(bbox) != 4
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in bbox)
                or not np.isfinite(np.asarray(bbox, np.float64)).all()):
            raise DataError(f'{src}: bbox {bbox!r} is not 4 finite numbers [x, y, width, height]')
        x, y, bw, bh = (float(v) for v in bbox)
        if bw <= 0 or bh <= 0:
            if self.skip_degenerate:
                return None
            raise DataError(f'{src}: box {ann["bbox"]} is degenerate (zero width or height); '
                            'pass skip_degenerate=True to drop such boxes')
        x1, y1, x2, y2 = x, y, x + bw, y + bh
        t = BOX_TOLERANCE
        if x1 < -t or y1 < -t or x2 > w + t or y2 > h + t:
            raise DataError(f'{src}: box {ann["bbox"]} (xywh) lies outside the image ({w}x{h})')
        return [max(x1, 0.0), max(y1, 0.0), min(x2, float(w)), min(y2, float(h))]

    def load_data_list(self) -> list[dict]:
        try:
            return self._load_data_list()
        except DataError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError) as e:
            # a field of the wrong type or value that the checks below do not name
            raise DataError(f'{self.ann_file}: malformed COCO instances file '
                            f'({type(e).__name__}: {e})') from e

    def _load_data_list(self) -> list[dict]:
        data = self._read_json()
        path = Path(self.ann_file)
        cats = sorted(data['categories'], key=lambda c: c['id'])
        if len(cats) >= IGNORE:
            raise DataError(f'{path}: {len(cats)} categories do not fit a uint8 mask')
        label_of = {c['id']: i + 1 for i, c in enumerate(cats)}
        classes = ('background', *(c['name'] for c in cats))
        self._metainfo['classes'] = classes
        self._metainfo['palette'] = make_palette(len(classes)).tolist()

        images = {im['id']: im for im in data['images']}
        anns_of: dict[int, list] = {i: [] for i in images}
        for ann in data['annotations']:
            src = f'{path}: annotation {ann.get("id")}'
            if ann.get('image_id') not in images:
                raise DataError(f'{src} refers to unknown image id {ann.get("image_id")}')
            if ann.get('category_id') not in label_of:
                raise DataError(f'{src} has unknown category id {ann.get("category_id")}')
            anns_of[ann['image_id']].append(ann)

        data_list = []
        for im_id, im in images.items():
            img = self.img_dir / im['file_name']
            if not img.is_file():
                raise DataError(f'{path}: image {img} (id {im_id}) not found')
            h, w = im['height'], im['width']
            if not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in (h, w)):
                raise DataError(f'{path}: image {img} (id {im_id}) has height/width {h!r}/{w!r}; '
                                'expected positive whole numbers')
            real = image_size(img)
            if real != (h, w):
                raise DataError(f'{path}: image {img} (id {im_id}) is {real[1]}x{real[0]} but the '
                                f'file says {w}x{h}')
            coco_anns, boxes, labels, segms, ids = [], [], [], [], []
            for ann in anns_of[im_id]:
                src = f'{path}: annotation {ann["id"]} of image {im["file_name"]}'
                if 'segmentation' not in ann:
                    raise DataError(f'{src} has no segmentation')
                check_segmentation(ann['segmentation'], h, w, src)
                label = label_of[ann['category_id']]
                crowd = bool(ann.get('iscrowd', 0))
                area = ann.get('area')
                if area is None:
                    area = float(mask_utils.area(_to_rle(ann['segmentation'], h, w)))
                coco_anns.append(dict(id=ann['id'], label=label, iscrowd=crowd, area=float(area),
                                      segmentation=ann['segmentation']))
                if crowd:
                    continue
                box = self._box(ann, h, w, src)
                if box is None:
                    continue
                boxes.append(box)
                labels.append(label)
                segms.append(ann['segmentation'])
                ids.append(ann['id'])
            if self.filter_empty and not coco_anns:
                continue
            info = dict(img_path=str(img), img_id=img.stem, coco_image_id=im_id, height=h,
                        width=w, seg_map_path=None, semantic_mask_fn=semantic_mask,
                        coco_anns=coco_anns, coco_ann_ids=ids,
                        tags=sorted({a['label'] for a in coco_anns}),
                        boxes=np.asarray(boxes, np.float32).reshape(-1, 4),
                        box_labels=np.asarray(labels, np.int64),
                        instance_masks=CocoMasks(segms, h, w))
            data_list.append(self.parse_data_info(info))
        if not data_list:
            raise DataError(f'{path}: no image in the COCO file')
        return data_list
