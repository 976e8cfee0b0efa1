"""SAM prompted by a patch map: prompts from the right patches, assembly, a real tiny SAM, errors."""
from __future__ import annotations

import numpy as np
import pytest

from tests.sam.conftest import TINY_SAM
from wsseg.patch.pixel_metric import PatchPixelMetric
from wsseg.patch.sam_refine import SamPatchRefiner, assemble_class_map, cell_centres, patch_prompts
from wsseg.utils.checkpoint import CheckpointError

BG = 3
# a 3x4 patch map on a 30x40 frame (10x10 px cells): class 0 as an L of three cells and a
# separate single cell, class 1 in one corner; diagonal contact does not join groups
LABELS = np.array([[3, 0, 0, 3],
                   [3, 0, 3, 3],
                   [1, 3, 3, 0]])


def test_one_prompt_per_connected_group_with_box_and_cell_points():
    prompts = patch_prompts(LABELS, (30, 40), BG)
    assert [(p.label, p.cells.tolist()) for p in prompts] == [
        (0, [[0, 1], [0, 2], [1, 1]]), (0, [[2, 3]]), (1, [[2, 0]])]
    l_shape = prompts[0]
    assert l_shape.box.tolist() == [10, 0, 30, 20]                  # cell edges x0, y0, x1, y1
    # positives at the three cells' centres, one negative at the background cell (1, 2) in the box
    assert l_shape.points.tolist() == [[14.5, 4.5], [24.5, 4.5], [14.5, 14.5], [24.5, 14.5]]
    assert l_shape.point_labels.tolist() == [1, 1, 1, 0]
    assert prompts[2].box.tolist() == [0, 20, 10, 30] and prompts[2].point_labels.tolist() == [1]


def test_prompts_follow_array_split_cells_on_a_non_divisible_frame():
    cx, cy = cell_centres((31, 43), (3, 4))          # rows 11/10/10 px, columns 11/11/11/10 px
    assert cy.tolist() == [5.0, 15.5, 25.5] and cx.tolist() == [5.0, 16.0, 27.0, 37.5]
    p = patch_prompts(np.array([[3, 3, 3, 3], [3, 3, 3, 2], [3, 3, 3, 3]]), (31, 43), BG)
    assert len(p) == 1 and p[0].box.tolist() == [33, 11, 43, 21] and p[0].points.tolist() == [[37.5, 15.5]]
    assert patch_prompts(np.full((3, 4), BG), (31, 43), BG) == []
    assert patch_prompts(np.array([[255, 3], [3, 3]]), (20, 20), BG) == []      # unknown cells: no prompt


def test_assembly_keeps_prompts_near_their_box_and_takes_the_highest_logit():
    prompts = patch_prompts(LABELS, (30, 40), BG)
    logits = np.full((3, 30, 40), -5.0, np.float32)
    logits[0] = 2.0                  # the L prompt says "everything": only its widened box counts
    logits[2, 20:30, 0:15] = 3.0     # class 1 claims its cell and part of the next one, beating the L there
    out = assemble_class_map(logits, prompts, (30, 40), (3, 4), BG, margin=0.5)
    assert out.dtype == np.uint8 and out.shape == (30, 40)
    assert (out[0:20, 5:35] == 0).all() and (out[20:25, 15:35] == 0).all()   # box widened by half a cell
    assert (out[:, 35:] == BG).all() and (out[:, :5][:20] == BG).all()
    assert (out[20:30, 0:15] == 1).all()
    assert (out[25:, 15:] == BG).all()                     # the single-cell prompt said no (-5 < 0)
    assert (assemble_class_map(logits, prompts, (30, 40), (3, 4), BG, mask_threshold=10.0) == BG).all()


@pytest.fixture(scope='module')
def refiner():
    return SamPatchRefiner(TINY_SAM)


def frame():
    img = np.random.default_rng(0).integers(40, 90, (30, 40, 3), dtype=np.uint8)
    img[0:20, 10:30] = (30, 160, 60)                      # a green region roughly under the L
    return img


def onehot(labels, k=4):
    return np.eye(k, dtype=np.float32)[labels].transpose(2, 0, 1) * 0.8 + 0.05


def test_real_tiny_sam_refines_a_patch_map(refiner):
    img = frame()
    logits = refiner.mask_logits(img, patch_prompts(LABELS, (30, 40), BG))
    assert logits.shape == (3, 30, 40) and np.isfinite(logits).all()
    out = refiner(img, onehot(LABELS))
    assert [p.cells.tolist() for p in refiner.last_prompts] == [p.cells.tolist() for p in patch_prompts(LABELS, (30, 40), BG)]
    assert out.shape == (30, 40) and out.dtype == np.uint8
    assert set(np.unique(out)) <= {0, 1, BG}
    assert np.array_equal(out, assemble_class_map(logits, refiner.last_prompts, (30, 40), (3, 4), BG))
    assert (out[:, :5][:15] == BG).all()                   # no prompt reaches the top-left corner


def test_no_foreground_patch_skips_sam(refiner):
    out = refiner(frame(), onehot(np.full((3, 4), BG)))
    assert refiner.last_prompts == [] and (out == BG).all()


def test_missing_sam_checkpoint_is_named(tmp_path):
    missing = tmp_path / 'sam_vit_b_01ec64.pth'
    with pytest.raises(CheckpointError, match=f'checkpoint not found: {missing}'):
        SamPatchRefiner(dict(type='vit_b', checkpoint=str(missing)))
    with pytest.raises(CheckpointError, match=str(missing)):      # the metric fails before scoring
        PatchPixelMetric(mask_dir=str(tmp_path), sam=dict(type='vit_b', checkpoint=str(missing)))
    with pytest.raises(CheckpointError, match='no SAM vit_b checkpoint given'):
        SamPatchRefiner(dict(type='vit_b'))
    with pytest.raises(ValueError, match="'sam' needs sam="):
        PatchPixelMetric(mask_dir=str(tmp_path), methods=('coarse', 'sam'))
