"""Bad input on the patch path (issue 4's list): a frame that does not divide into the grid
(array_split, no crash), an empty class folder, unknown class folders (error listing the expected
names), plus mixed frame sizes and missing truth. A SimCLR checkpoint with mismatched keys is in
test_grid_classifier.py::test_simclr_checkpoint_mismatch_lists_keys."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from wsseg.datasets.deepseagrass import DeepSeagrassFrames
from wsseg.patch.data import LoadPatchTruth, PatchDataPreprocessor, PatchSample
from wsseg.utils.io import DataError


def jpg(path: Path, size=(64, 40)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new('RGB', size, (30, 120, 60)).save(path)


def test_empty_class_folder_warns_and_loads_the_rest(tmp_path):
    jpg(tmp_path / 'Strappy' / 'a.JPG')
    (tmp_path / 'Ferny').mkdir()
    with pytest.warns(UserWarning, match=f"{tmp_path / 'Ferny'}: class folder 'Ferny' holds no image"):
        ds = DeepSeagrassFrames(str(tmp_path))
    assert len(ds) == 1 and ds.get_data_info(0)['image_label'] == 0


def test_all_folders_empty_is_an_error(tmp_path):
    (tmp_path / 'Strappy').mkdir()
    with pytest.warns(UserWarning), pytest.raises(DataError, match='no image in any class folder'):
        DeepSeagrassFrames(str(tmp_path))


def test_unknown_class_folders_list_expected_names(tmp_path):
    jpg(tmp_path / 'Strappy' / 'a.JPG')
    jpg(tmp_path / 'Kelp' / 'b.JPG')
    with pytest.raises(DataError) as e:
        DeepSeagrassFrames(str(tmp_path))
    msg = str(e.value)
    assert str(tmp_path) in msg and "'Kelp'" in msg
    assert "['Strappy', 'Ferny', 'Rounded', 'Background']" in msg


def test_mixed_frame_sizes_in_a_batch_name_the_files():
    pre = PatchDataPreprocessor()
    data = dict(inputs=[torch.zeros(3, 40, 64, dtype=torch.uint8), torch.zeros(3, 41, 64, dtype=torch.uint8)],
                data_samples=[PatchSample('x.jpg', 'x', (40, 64)), PatchSample('y.jpg', 'y', (41, 64))])
    with pytest.raises(ValueError, match=r"different sizes.*x.jpg.*Resize"):
        pre(data)


def test_missing_patch_truth_names_the_file(tmp_path):
    t = LoadPatchTruth(truth_dir=str(tmp_path))
    with pytest.raises(DataError, match=r'f.jpg: patch truth .*Image7.npy not found'):
        t(dict(img_path='f.jpg', img_id='Image7'))
    np.save(tmp_path / 'Image7.npy', np.zeros(3))
    with pytest.raises(DataError, match=r'Image7.npy: expected a \(rows, cols\) array'):
        t(dict(img_path='f.jpg', img_id='Image7'))
    out = LoadPatchTruth(source='mask', grid=(2, 2))(dict(img_path='f.jpg', classes=('a', 'b'),
                                                          gt_seg_map=np.array([[0, 1, 1], [0, 1, 1], [1, 1, 0]])))
    assert out['patch_truth'].tolist() == [[0, 1], [1, 0]]


def test_frame_not_divisible_into_the_grid_runs_end_to_end(tmp_path):
    """A 233x131 frame on a 5x8 grid: array_split cells (27/26 rows, 30/29 columns), no crash."""
    from mmengine.dataset import pseudo_collate

    from wsseg.patch import PatchClassifier
    from wsseg.patch.grid import colour_patch_map, grid_bounds

    jpg(tmp_path / 'Strappy' / 'odd.JPG', size=(233, 131))
    ds = DeepSeagrassFrames(str(tmp_path), pipeline=[dict(type='LoadImage'), dict(type='PackPatchInputs')])
    model = PatchClassifier(4, grid=(5, 8), label_source='image').eval()
    out = model.test_step(pseudo_collate([ds[0]]))[0]
    assert out.pred_label.shape == (5, 8) and out.extra['probs'].shape == (4, 5, 8)
    pic = colour_patch_map(out.pred_label.numpy(), [[255, 0, 0]] * 4, np.zeros((131, 233, 3), np.uint8))
    assert pic.shape == (131, 233, 3)
    assert grid_bounds(131, 5).tolist() == [0, 27, 53, 79, 105, 131]
    mask = np.zeros((131, 233), np.uint8)
    mask[:27, :30] = 1                                   # exactly the first (taller, wider) cell
    truth = LoadPatchTruth(source='mask', grid=(5, 8))(dict(img_path='odd.JPG', classes=('a', 'b'), gt_seg_map=mask))
    assert truth['patch_truth'][0, 0] == 1 and truth['patch_truth'].sum() == 1
