"""A checkpoint path that is a directory is named as a directory, with the file expected
there, instead of "not found"."""
from __future__ import annotations

import pytest

from wsseg.models.sam import build_sam, build_sam_from_cfg
from wsseg.utils.checkpoint import CheckpointError, load_checkpoint_file, require_file


def test_require_file_says_directory(tmp_path):
    with pytest.raises(CheckpointError, match=rf'{tmp_path} is a directory, not a file.*'
                                              r'expected a wsseg checkpoint file.*tools/train\.py') as e:
        require_file(tmp_path, 'wsseg')
    assert 'not found' not in str(e.value)


def test_load_checkpoint_file_says_directory(tmp_path):
    (tmp_path / 'iter_8.pth').write_bytes(b'')
    with pytest.raises(CheckpointError, match=r'is a directory.*iter_8\.pth') as e:
        load_checkpoint_file(tmp_path, 'wsseg')
    assert 'not found' not in str(e.value)


def test_missing_file_still_says_not_found(tmp_path):
    with pytest.raises(CheckpointError, match='checkpoint not found'):
        require_file(tmp_path / 'nope.pth', 'wsseg')


def test_sam_checkpoint_directory(tmp_path):
    with pytest.raises(CheckpointError, match=r'is a directory.*sam_vit_b_01ec64\.pth') as e:
        build_sam('vit_b', tmp_path)
    assert 'not found' not in str(e.value)
    with pytest.raises(CheckpointError, match=r'is a directory') as e:
        build_sam_from_cfg(dict(type='small', checkpoint=str(tmp_path)))
    assert 'not found' not in str(e.value)
