"""A real SAM checkpoint: only when WSSEG_SAM_CHECKPOINT names a file (none is reachable here)."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch

CKPT = os.environ.get('WSSEG_SAM_CHECKPOINT', '')
TYPE = os.environ.get('WSSEG_SAM_TYPE', 'vit_b')


@pytest.mark.skipif(not CKPT or not Path(CKPT).is_file(),
                    reason='set WSSEG_SAM_CHECKPOINT to a local SAM checkpoint (and WSSEG_SAM_TYPE '
                           'if not vit_b) to run the real-weight check')
def test_real_checkpoint_segments_a_box():
    from wsseg.models.sam import build_sam, decode_prompts, logits_to_frame, preprocess_image, transform_boxes
    sam = build_sam(TYPE, CKPT)
    img = np.full((256, 256, 3), 30, np.uint8)
    img[64:192, 64:192] = (230, 40, 40)
    with torch.no_grad():
        emb = sam.image_encoder(preprocess_image(sam, img))[0]
        lg = logits_to_frame(sam, decode_prompts(sam, emb, transform_boxes(sam, np.array([[56, 56, 200, 200]]),
                                                                           (256, 256)), None, None), (256, 256))
    fg = (lg[0] > 0).numpy()
    inside = fg[64:192, 64:192].mean()
    outside = fg[:48].mean()
    assert inside > 0.9 and outside < 0.1
