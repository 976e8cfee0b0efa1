"""Every bad-input case of the toolkit in one table: how to trigger it, the error (or warning)
it must give, and what the message must name (each pattern is ``re.search``-ed in it;
``{tmp}`` stands for the test's tmp_path). Helpers come from the tests the cases were moved
from. New reliability cases have their own files here: corrupt data policy
(test_bad_data_policy.py), disk full, NaN loss, tampered checkpoints, kills."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pytest
import torch
from PIL import Image

from tests.conftest import SHARED_DATA
from tests.datasets.test_folder import make_folder
from tests.datasets.test_voc import IDS, make_tmp_voc, scribble_xml, voc_xml, write_list
from tests.losses.test_regularisers import _batch
from tests.losses.test_schedule_in_segmentor import _model as seg_model
from tests.losses.test_schedule_in_segmentor import _samples
from tests.sam.conftest import TINY_SAM, make_labeller, toy_sample
from tests.weak.test_sources import small
from wsseg.utils.checkpoint import CheckpointError
from wsseg.utils.io import DataError, write_png_atomic

BOXES = r'/data/img_0.jpg'


@dataclass(frozen=True)
class Case:
    name: str
    trigger: Callable[[Path], object]
    error: type | None          # None: the trigger checks its own warning and recovery
    patterns: tuple[str, ...]


def case(name: str, error: type | None, *patterns: str):
    """Decorator: the function (tmp_path -> None) is the trigger of a table entry."""
    def add(fn):
        CASES.append(Case(name, fn, error, patterns))
        return fn
    return add


CASES: list[Case] = []


# ---------------------------------------------------------------------- images and masks
def _folder_ds(root: Path, classes=('bg', 'x', 'y')):
    from wsseg.datasets.folder import FolderDataset
    from wsseg.datasets.transforms import LoadImage, LoadMask
    return FolderDataset(str(root), classes=list(classes), pipeline=[LoadImage(), LoadMask()])


def _corrupt_folder(tmp: Path) -> Path:
    root = make_folder(tmp)
    (root / 'images' / 'train' / 'b.png').write_bytes(b'\x89PNG\r\n\x1a\n garbage')
    return root


@case('corrupt_image_read', DataError, r'b\.png: corrupt or unreadable image')
def _(tmp):
    from wsseg.utils.io import read_image
    ds = _folder_ds(_corrupt_folder(tmp))
    read_image(ds.get_data_info(1)['img_path'])


@case('corrupt_image_in_dataset', DataError, r'b\.png: corrupt')
def _(tmp):
    ds = _folder_ds(_corrupt_folder(tmp))
    assert len(ds) == 2                                        # listing does not decode
    assert ds[0]['img'].shape == (10, 12, 3)
    ds[1]


@case('mask_of_wrong_size', DataError, r'a\.png: mask size 12x11 \(WxH\) differs from its image 12x10')
def _(tmp):
    _folder_ds(make_folder(tmp / 'size', mask_size=(12, 11)))[0]


@case('mask_values_out_of_range', DataError, r'a\.png: mask values \[2\] outside the class range')
def _(tmp):
    _folder_ds(make_folder(tmp / 'range'), classes=('bg', 'x'))[0]


@case('mask_file_missing', DataError, r'b\.png: mask .*masks/train/b\.png not found')
def _(tmp):
    root = make_folder(tmp)
    (root / 'masks' / 'train' / 'b.png').unlink()
    _folder_ds(root)


def _image_folder(tmp: Path) -> Path:
    (tmp / 'images' / 'train').mkdir(parents=True)
    return tmp


@case('empty_dataset_folder', DataError, r'images/train: no image files')
def _(tmp):
    from wsseg.datasets.folder import FolderDataset
    FolderDataset(str(_image_folder(tmp)), classes=['a'], mask_dir=None)


@case('empty_dataset_any_subclass', DataError, r"NoImages\(data_root='{tmp}'.*the dataset is empty")
def _(tmp):
    from wsseg.datasets.base import WeakSegDataset

    class NoImages(WeakSegDataset):
        def load_data_list(self) -> list:
            return []
    NoImages(data_root=str(tmp))


@case('image_folder_missing', DataError, r'images/val: image folder not found')
def _(tmp):
    from wsseg.datasets.folder import FolderDataset
    FolderDataset(str(_image_folder(tmp)), split='val', classes=['a'])


@case('mask_folder_missing', DataError, r'masks/train: mask folder not found')
def _(tmp):
    from wsseg.datasets.folder import FolderDataset
    Image.new('RGB', (4, 4)).save(_image_folder(tmp) / 'images' / 'train' / 'a.png')
    FolderDataset(str(tmp), classes=['a'])


@case('two_images_one_stem', DataError, r"share the stem 'a'")
def _(tmp):
    from wsseg.datasets.folder import FolderDataset
    Image.new('RGB', (4, 4)).save(_image_folder(tmp) / 'images' / 'train' / 'a.png')
    Image.new('RGB', (4, 4)).save(tmp / 'images' / 'train' / 'a.jpg')
    FolderDataset(str(tmp), classes=['a'], mask_dir=None)


# ---------------------------------------------------------------------- VOC lists and XML
def _tmp_voc(tmp: Path) -> Path:
    """A VOC2012 folder in tmp whose JPEGImages / SegmentationClass link to voc_mini."""
    voc = SHARED_DATA / 'voc_mini' / 'VOCdevkit' / 'VOC2012'
    if not voc.is_dir():
        pytest.skip(f'real sample data not found at {SHARED_DATA}')
    return make_tmp_voc(voc, tmp)


def _xml_box_case(name: str, obj: dict, msg: str) -> None:
    @case(f'voc_xml_{name}', DataError, rf'2007_000063\.xml.*{msg}')
    def _(tmp):
        from wsseg.datasets.voc import VOCDataset
        voc = _tmp_voc(tmp)
        voc_xml(voc / 'Annotations' / '2007_000063.xml', [obj])
        VOCDataset(str(voc), split=write_list(voc, 'b', IDS[:1]), with_boxes=True)


_xml_box_case('unknown_class', dict(name='unicorn', x1=10, y1=10, x2=20, y2=20), "unknown class name 'unicorn'")
_xml_box_case('box_right_of_image', dict(name='dog', x1=10, y1=10, x2=501, y2=20), 'outside the image')
_xml_box_case('box_at_x0', dict(name='dog', x1=0, y1=10, x2=20, y2=20), 'outside the image')
_xml_box_case('box_degenerate', dict(name='dog', x1=30, y1=10, x2=20, y2=20), 'degenerate')
_xml_box_case('box_not_a_number', dict(name='dog', x1='a', y1=10, x2=20, y2=20), 'not a number')


@case('voc_unknown_class_name', DataError, 'somefile: unknown class name')
def _(tmp):
    from wsseg.datasets.voc import voc_class_index
    voc_class_index('sky', source='somefile')


@case('scribble_xml_unknown_class', DataError, r's\.xml.*unicorn')
def _(tmp):
    from wsseg.datasets.voc import rasterize_scribble_xml
    x = scribble_xml(tmp / 's.xml', [('sky', [(0, 0), (9, 0)]), ('unicorn', [(0, 5), (9, 5)]),
                                     ('bike', [(0, 9), (9, 9)])], w=10, h=10)
    rasterize_scribble_xml(x, (10, 10), unknown='error')


@case('split_list_not_found', DataError, r'nonexistent\.txt: split list not found')
def _(tmp):
    from wsseg.datasets.voc import VOCDataset
    VOCDataset(str(_tmp_voc(tmp)), split='nonexistent')


@case('split_list_names_a_missing_file', DataError, r'missing\.txt: line 2: image .*2099_000001\.jpg not found')
def _(tmp):
    from wsseg.datasets.voc import VOCDataset
    voc = _tmp_voc(tmp)
    VOCDataset(str(voc), split=write_list(voc, 'missing', ['2007_000063', '2099_000001']))


@case('split_list_empty', DataError, r'empty\.txt: split list is empty')
def _(tmp):
    from wsseg.datasets.voc import VOCDataset
    voc = _tmp_voc(tmp)
    VOCDataset(str(voc), split=write_list(voc, 'empty', ['', '# nothing']))


@case('voc_image_without_mask', DataError, r'x\.png: mask not found')
def _(tmp):
    from wsseg.datasets.voc import VOCDataset
    voc = _tmp_voc(tmp)
    (voc / 'JPEGImages2').mkdir()
    Image.new('RGB', (8, 8)).save(voc / 'JPEGImages2' / 'x.jpg')
    VOCDataset(str(voc), split=write_list(voc, 'nomask', ['x']), img_dir='JPEGImages2')


# ---------------------------------------------------------------------- weak labels
@case('empty_tags', DataError, rf'{BOXES}.*no tags')
def _(tmp):
    from wsseg.weak import Tags
    Tags()(small())


@case('tag_out_of_range', DataError, rf'{BOXES}.*tag \[7\] outside')
def _(tmp):
    from wsseg.weak import Tags
    Tags()(small(tags=[1, 7]))


@case('tags_simulated_without_mask', DataError, rf'{BOXES}.*no full mask.*LoadMask')
def _(tmp):
    from wsseg.weak import Tags
    Tags(simulate=True)(small())


def _box_case(name: str, info: dict, pattern: str) -> None:
    @case(f'box_{name}', DataError, pattern)
    def _(tmp):
        from wsseg.weak import Boxes
        Boxes()(small(**info))


_box_case('outside_right', dict(boxes=[[0, 0, 31, 5]], box_labels=[1]), rf'{BOXES}: box 0 .* outside the image \(30x20\)')
_box_case('outside_left', dict(boxes=[[-2, 0, 5, 5]], box_labels=[1]), rf'{BOXES}: box 0 .* outside the image')
_box_case('zero_area', dict(boxes=[[5, 5, 5, 9]], box_labels=[1]), rf'{BOXES}: box 0 .* degenerate')
_box_case('label_out_of_range', dict(boxes=[[0, 0, 5, 5]], box_labels=[9]), rf'{BOXES}: box label \[9\] outside')
_box_case('without_labels', dict(boxes=[[0, 0, 5, 5]]), rf'{BOXES}: 1 boxes but no box_labels')
_box_case('wrong_shape', dict(boxes=[[0, 0, 5]], box_labels=[1]), rf'{BOXES}: boxes must be \(N, 4\)')
_box_case('none', dict(), rf'{BOXES}: no boxes')


def _scribble_png_case(name: str, pattern: str) -> None:
    @case(f'scribble_png_{name}', DataError, rf'{{tmp}}/{name}\.png.*{pattern}')
    def _(tmp):
        from wsseg.weak import Scribbles
        path = tmp / f'{name}.png'
        scr = np.full((20, 30), 255, np.uint8)
        scr[5, 5] = 1
        if name == 'empty':
            scr[:] = 255
        elif name == 'wrong_size':
            scr = np.full((21, 30), 1, np.uint8)
        elif name == 'bad_class':
            scr[6, 6] = 9
        if name != 'missing':
            write_png_atomic(path, scr)
        Scribbles()(small(scribble_path=str(path)))


_scribble_png_case('empty', 'empty scribble')
_scribble_png_case('wrong_size', r'size 30x21 .*differs from its image 30x20')
_scribble_png_case('bad_class', r'values \[9\] outside')
_scribble_png_case('missing', 'not found')


@case('scribble_path_absent', DataError, f'{BOXES}: no scribble_path')
def _(tmp):
    from wsseg.weak import Scribbles
    Scribbles()(small())


# ---------------------------------------------------------------------- losses on empty scribbles
@case('image_without_scribbles', UserWarning, 'img1.png')
def _(tmp):
    """No NaN: partial CE leaves the empty image out, the CRF still acts on it."""
    model = seg_model([dict(type='PartialCrossEntropy'), dict(type='DenseCRFLoss', weight=0.5, radius=2)])
    images, samples = _samples([(32, 32), (32, 32)], labelled=(True, False))
    data = model.data_preprocessor(dict(inputs=images, data_samples=samples), True)
    logits = torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(2), requires_grad=True)
    out = model.loss(logits, data['inputs'], data['data_samples'])
    assert all(torch.isfinite(v) for v in out.values())
    g_pce, = torch.autograd.grad(out['loss_pce'], logits, retain_graph=True)
    g_crf, = torch.autograd.grad(out['loss_crf'], logits)
    assert g_pce[1].abs().max() == 0 and g_pce[0].abs().max() > 0    # no pCE on the empty image
    assert g_crf[1].abs().max() > 0                                    # the CRF still acts on it


@case('no_scribble_in_the_whole_batch', UserWarning, r'img0.png.*img1.png')
def _(tmp):
    model = seg_model([dict(type='PartialCrossEntropy'), dict(type='EntropyLoss', weight=0.1)])
    images, samples = _samples([(32, 32), (32, 32)], labelled=(False, False))
    data = model.data_preprocessor(dict(inputs=images, data_samples=samples), True)
    out = model(**data, mode='loss')
    assert out['loss_pce'].item() == 0.0
    sum(out.values()).backward()
    grads = [p.grad for p in model.net.parameters() if p.grad is not None]
    assert grads and all(torch.isfinite(g).all() for g in grads)


def _no_scribble_regulariser_case(name: str, cfg: dict) -> None:
    @case(f'no_scribbles_{name}_finite', UserWarning, 'no labelled pixel')
    def _(tmp):
        """Partial CE gives 0 (with the warning), the regulariser stays finite."""
        from wsseg.losses.partial_ce import PartialCrossEntropy
        from wsseg.registry import MODELS
        logits = torch.randn(2, 3, 12, 10, requires_grad=True)
        batch = _batch(torch.rand(2, 3, 12, 10))
        pce = PartialCrossEntropy()(logits, batch)
        reg = MODELS.build(cfg)(logits, batch)
        (pce + reg).backward()
        assert pce.item() == 0 and torch.isfinite(reg) and reg > 0
        assert torch.isfinite(logits.grad).all() and logits.grad.abs().sum() > 0


_no_scribble_regulariser_case('entropy', dict(type='EntropyLoss'))
_no_scribble_regulariser_case('mrf8', dict(type='SparseMRFLoss', neighbourhood=8))
_no_scribble_regulariser_case('mrf_bilinear', dict(type='SparseMRFLoss', relaxation='bilinear'))


# ---------------------------------------------------------------------- CRF settings
def _crf_model_case(name: str, test_cfg: dict, word: str) -> None:
    @case(f'crf_test_cfg_{name}', ValueError, word)
    def _(tmp):
        from wsseg.registry import MODELS
        MODELS.build(dict(type='WeakSegmentor', losses=[dict(type='PartialCrossEntropy')], test_cfg=test_cfg,
                          net=dict(type='DeepLabV3Plus', num_classes=2, depth=18, aspp_channels=16)))


_crf_model_case('sigma_rgb_zero', dict(crf=dict(sigma_rgb=0.0)), 'sigma_rgb')
_crf_model_case('misspelt_key', dict(crf=dict(radus=3)), 'radus')
_crf_model_case('misspelt_crf', dict(crff=dict()), 'crff')


def _meanfield_case(name: str, kwargs: dict, word: str) -> None:
    @case(f'meanfield_{name}', ValueError, word)
    def _(tmp):
        from wsseg.refine.crf import dense_crf_meanfield
        dense_crf_meanfield(torch.rand(1, 3, 4, 4), torch.full((1, 2, 4, 4), 0.5), **kwargs)


for _name, _kwargs, _word in [('sigma_rgb_zero', dict(sigma_rgb=0.0), 'sigma_rgb'),
                              ('sigma_xy_negative', dict(sigma_xy=-1.0), 'sigma_xy'),
                              ('sigma_gauss_zero', dict(sigma_gauss=0.0), 'sigma_gauss'),
                              ('radius_zero', dict(radius=0), 'radius'),
                              ('compat_unknown', dict(compat='dense'), 'compat'),
                              ('compat_wrong_size', dict(compat=torch.eye(4)), 'compat'),
                              ('scale_factor', dict(scale_factor=1.5), 'scale_factor')]:
    _meanfield_case(_name, _kwargs, _word)


# ---------------------------------------------------------------------- SAM path
@case('sam_zero_area_box', DataError, r'bad_box\.png: box 0 .* zero area')
def _(tmp):
    from wsseg.structures import WeakLabels
    img, _ = toy_sample()
    weak = WeakLabels((48, 64), boxes=[[10, 5, 10, 20]], box_labels=[1], source='x')
    make_labeller(tmp).label(dict(img=img, weak=weak, img_path='bad_box.png'))


def _scribbled() -> tuple:
    img, weak = toy_sample()
    weak.scribbles[0, 0:5] = 7
    return img, weak


@case('sam_scribble_of_unknown_class', DataError, r'scribbled\.png: scribble of unknown class \[7\]')
def _(tmp):
    img, weak = _scribbled()
    make_labeller(tmp).label(dict(img=img, weak=weak, img_path='scribbled.png'))


@case('sam_finetune_scribble_of_unknown_class', DataError, 'scribbled.png')
def _(tmp):
    img, weak = _scribbled()
    make_labeller(tmp)._usable(img, weak, 'scribbled.png')


@case('sam_image_without_weak_labels_warns', UserWarning, r'lonely\.png: the image has no weak labels')
def _(tmp):
    from wsseg.structures import WeakLabels
    img, _ = toy_sample()
    mask, _ = make_labeller(tmp).label(dict(img=img, weak=WeakLabels((48, 64)), img_path='lonely.png'))
    assert (mask == 255).all()


@case('sam_image_without_weak_labels_error', DataError, r'lonely\.png: the image has no weak labels')
def _(tmp):
    img, _ = toy_sample()
    make_labeller(tmp, on_empty='error').label(dict(img=img, weak=None, img_path='lonely.png'))


@case('sam_checkpoint_missing', CheckpointError, '{tmp}/sam_vit_b_01ec64\\.pth',
      re.escape('dl.fbaipublicfiles.com/segment_anything/sam_vit_b_01ec64.pth'))
def _(tmp):
    from wsseg.models.sam import build_sam
    build_sam('vit_b', tmp / 'sam_vit_b_01ec64.pth')


def _small_sam_file(tmp: Path) -> Path:
    from wsseg.models.sam import build_sam_from_cfg
    path = tmp / 'small.pth'
    torch.save(build_sam_from_cfg(dict(TINY_SAM)).state_dict(), path)
    return path


@case('sam_checkpoint_of_another_type', CheckpointError, '{tmp}/small\\.pth',
      'not a SAM vit_b checkpoint', re.escape('image_encoder.pos_embed'))
def _(tmp):
    from wsseg.models.sam import build_sam
    build_sam('vit_b', _small_sam_file(tmp))


@case('sam_checkpoint_other_sizes', CheckpointError, 'mismatched state-dict keys')
def _(tmp):
    from wsseg.models.sam import build_sam_from_cfg
    build_sam_from_cfg(dict(TINY_SAM, encoder_dim=48, checkpoint=str(_small_sam_file(tmp))))


def _sam_cache_case(damage: str) -> None:
    @case(f'sam_cache_{damage}_recomputed', None)
    def _(tmp):
        """A damaged entry is named in a warning, recomputed and rewritten, never trusted."""
        from tests.sam.test_sam_cache import counting, image
        from wsseg.models.sam import build_sam_from_cfg
        from wsseg.models.sam_cache import EmbeddingCache
        sam = build_sam_from_cfg(dict(TINY_SAM))
        with torch.no_grad():
            cache, calls, img = EmbeddingCache.for_sam(tmp, sam), [], image()
            good = cache.get(img, counting(sam, img, calls))
            path = cache.path(cache.key(img))
            if damage == 'garbage':
                path.write_bytes(b'not a torch file')
            elif damage == 'truncated':
                path.write_bytes(path.read_bytes()[:100])
            elif damage == 'wrong_shape':
                torch.save(dict(key=cache.key(img), embedding=torch.zeros(16, 4, 4)), path)
            else:
                torch.save(dict(key='0' * 40, embedding=torch.zeros_like(good)), path)
            with pytest.warns(UserWarning, match=str(path.name)):
                again = cache.get(img, counting(sam, img, calls))
            assert torch.equal(again, good) and len(calls) == 2 and cache.corrupt == 1
            assert torch.equal(cache.get(img, counting(sam, img, calls)), good) and len(calls) == 2


for _damage in ('garbage', 'truncated', 'wrong_shape', 'wrong_key'):
    _sam_cache_case(_damage)


# ---------------------------------------------------------------------- patch path
def _jpg(path: Path, size=(64, 40)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new('RGB', size, (30, 120, 60)).save(path)


@case('empty_class_folder', UserWarning, r"Ferny.*'Ferny' holds no image")
def _(tmp):
    """The empty folder is named; the other classes load."""
    from wsseg.datasets.deepseagrass import DeepSeagrassFrames
    _jpg(tmp / 'Strappy' / 'a.JPG')
    (tmp / 'Ferny').mkdir()
    ds = DeepSeagrassFrames(str(tmp))
    assert len(ds) == 1 and ds.get_data_info(0)['image_label'] == 0


@case('all_class_folders_empty', DataError, 'no image in any class folder')
def _(tmp):
    from wsseg.datasets.deepseagrass import DeepSeagrassFrames
    (tmp / 'Strappy').mkdir()
    (tmp / 'Strappy' / '.DS_Store').write_bytes(b'\0')
    with pytest.warns(UserWarning, match='Strappy'):
        DeepSeagrassFrames(str(tmp))


@case('frames_ignore_png_patches', DataError, 'no image')
def _(tmp):
    """Patches are .jpg/.png; frames ignore .png, so a folder of one .png has no frame."""
    from wsseg.datasets.deepseagrass import DeepSeagrassFrames, DeepSeagrassPatches
    (tmp / 'Strappy').mkdir()
    Image.new('RGB', (8, 8)).save(tmp / 'Strappy' / 'p.png')
    assert len(DeepSeagrassPatches(str(tmp))) == 1
    with pytest.warns(UserWarning):
        DeepSeagrassFrames(str(tmp))


@case('deepseagrass_folder_missing', DataError, 'DeepSeagrass folder not found')
def _(tmp):
    from wsseg.datasets.deepseagrass import DeepSeagrassPatches
    DeepSeagrassPatches(str(tmp / 'missing'))


@case('deepseagrass_bad_class_order', ValueError, 'class_order')
def _(tmp):
    from wsseg.datasets.deepseagrass import DeepSeagrassFrames
    _jpg(tmp / 'Strappy' / 'a.JPG')
    DeepSeagrassFrames(str(tmp), class_order='random')


@case('unknown_class_folder', DataError, '{tmp}', "'Kelp'", re.escape("['Strappy', 'Ferny', 'Rounded', 'Background']"))
def _(tmp):
    from wsseg.datasets.deepseagrass import DeepSeagrassFrames
    _jpg(tmp / 'Strappy' / 'a.JPG')
    _jpg(tmp / 'Kelp' / 'b.JPG')
    DeepSeagrassFrames(str(tmp))


@case('unknown_class_folder_of_the_5_class_variant', DataError,
      r"unknown class folder\(s\) \['Substrate'\].*'Strappy', 'Ferny', 'Rounded', 'Background'")
def _(tmp):
    from wsseg.datasets.deepseagrass import DeepSeagrassFrames
    _jpg(tmp / 'Strappy' / 'a.jpg', (8, 8))
    _jpg(tmp / 'Substrate' / 'b.jpg', (8, 8))
    DeepSeagrassFrames(str(tmp))


@case('frame_not_divisible_into_grid', ValueError, 'cannot split 4 pixels into 5')
def _(tmp):
    from wsseg.patch import grid_bounds
    grid_bounds(4, 5)


@case('mixed_frame_sizes_in_a_batch', ValueError, r'different sizes.*x.jpg.*Resize')
def _(tmp):
    from wsseg.patch.data import PatchDataPreprocessor, PatchSample
    data = dict(inputs=[torch.zeros(3, 40, 64, dtype=torch.uint8), torch.zeros(3, 41, 64, dtype=torch.uint8)],
                data_samples=[PatchSample('x.jpg', 'x', (40, 64)), PatchSample('y.jpg', 'y', (41, 64))])
    PatchDataPreprocessor()(data)


@case('patch_truth_missing', DataError, r'f.jpg: patch truth .*Image7.npy not found')
def _(tmp):
    from wsseg.patch.data import LoadPatchTruth
    out = LoadPatchTruth(source='mask', grid=(2, 2))(dict(img_path='f.jpg', classes=('a', 'b'),
                                                          gt_seg_map=np.array([[0, 1, 1], [0, 1, 1], [1, 1, 0]])))
    assert out['patch_truth'].tolist() == [[0, 1], [1, 0]]       # from a mask it needs no file
    LoadPatchTruth(truth_dir=str(tmp))(dict(img_path='f.jpg', img_id='Image7'))


@case('patch_truth_wrong_shape', DataError, r'Image7.npy: expected a \(rows, cols\) array')
def _(tmp):
    from wsseg.patch.data import LoadPatchTruth
    np.save(tmp / 'Image7.npy', np.zeros(3))
    LoadPatchTruth(truth_dir=str(tmp))(dict(img_path='f.jpg', img_id='Image7'))


def _simclr_bad(tmp: Path) -> Path:
    from wsseg.patch.simclr import SimCLRNet
    state = SimCLRNet().trunk.state_dict()
    state.pop('layer4.1.bn2.weight')
    state['extra.weight'] = torch.zeros(3)
    state['conv1.weight'] = torch.zeros(64, 3, 3, 3)
    path = tmp / 'bad.pth'
    torch.save({'state_dict': state}, path)
    return path


@case('simclr_key_mismatch', CheckpointError, '{tmp}/bad\\.pth', re.escape('layer4.1.bn2.weight'),
      re.escape('extra.weight'), re.escape('conv1.weight: checkpoint (64, 3, 3, 3) vs model (64, 3, 7, 7)'))
def _(tmp):
    from wsseg.patch import PatchClassifier
    PatchClassifier(num_classes=4, init_checkpoint=str(_simclr_bad(tmp))).init_weights()


@case('simclr_checkpoint_missing', CheckpointError, 'not found')
def _(tmp):
    from wsseg.patch import PatchClassifier
    PatchClassifier(num_classes=4, init_checkpoint=str(tmp / 'missing.pth')).init_weights()


# ---------------------------------------------------------------------- checkpoints
@case('test_checkpoint_missing', CheckpointError, 'nowhere.pth')
def _(tmp):
    from tests.test_training import small_cfg
    from tools.test import main as evaluate
    from wsseg.datasets.synthetic import make_scenes
    make_scenes(tmp / 'data', splits={'train': 2, 'val': 1}, size=(32, 32), seed=3)
    small_cfg(tmp / 'data', tmp / 'w', iters=2).dump(str(tmp / 'cfg.py'))
    evaluate([str(tmp / 'cfg.py'), str(tmp / 'nowhere.pth')])


@pytest.mark.parametrize('c', CASES, ids=[c.name for c in CASES])
def test_bad_input(c: Case, tmp_path: Path) -> None:
    patterns = [p.replace('{tmp}', re.escape(str(tmp_path))) for p in c.patterns]
    if c.error is None:
        c.trigger(tmp_path)
    elif issubclass(c.error, Warning):
        with pytest.warns(c.error) as record:
            c.trigger(tmp_path)
        messages = [str(w.message) for w in record if issubclass(w.category, c.error)]
        for p in patterns:
            assert any(re.search(p, m) for m in messages), (p, messages)
    else:
        with pytest.raises(c.error) as e:
            c.trigger(tmp_path)
        for p in patterns:
            assert re.search(p, str(e.value)), (p, str(e.value))


def test_case_names_are_unique():
    names = [c.name for c in CASES]
    assert len(names) == len(set(names)) and len(names) > 60
