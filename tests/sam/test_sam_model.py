"""Building, loading, freezing and decoding with segment_anything's modules (random weights)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from wsseg.models.sam import (build_sam, build_sam_from_cfg, build_small_sam,
                              decode_prompts, freeze_for_decoder_tuning, logits_to_frame,
                              preprocess_image, transform_boxes)
from wsseg.pseudo.sam_prompts import class_logits
from wsseg.utils.checkpoint import CheckpointError

from .conftest import TINY_SAM, toy_sample


def tiny():
    return build_sam_from_cfg(dict(TINY_SAM))


def test_shapes_non_square_image():
    sam = tiny()
    img, weak = toy_sample(48, 64)
    x = preprocess_image(sam, img)
    assert x.shape == (1, 3, 64, 64)
    emb = sam.image_encoder(x)[0]
    assert emb.shape == (16, 8, 8)
    boxes = transform_boxes(sam, np.array([[20, 10, 44, 30], [0, 0, 10, 10]]), (48, 64))
    low = decode_prompts(sam, emb, boxes, None, None)
    assert low.shape == (2, 1, 32, 32)
    out = logits_to_frame(sam, low, (48, 64))
    assert out.shape == (2, 48, 64) and torch.isfinite(out).all()


def test_small_sam_is_seeded():
    a, b, c = build_small_sam(seed=1), build_small_sam(seed=1), build_small_sam(seed=2)
    ka = a.mask_decoder.output_upscaling[0].weight
    assert torch.equal(ka, b.mask_decoder.output_upscaling[0].weight)
    assert not torch.equal(ka, c.mask_decoder.output_upscaling[0].weight)


def test_gradient_reaches_decoder_only():
    sam = freeze_for_decoder_tuning(tiny())
    img, weak = toy_sample()
    emb = sam.image_encoder(preprocess_image(sam, img))[0]     # encoder output, frozen
    boxes = transform_boxes(sam, weak.boxes, (48, 64))
    lg = logits_to_frame(sam, decode_prompts(sam, emb, boxes, None, None), (48, 64))
    z = class_logits(lg, np.array([1]), 3, 0)
    loss = torch.nn.functional.cross_entropy(z[None], torch.ones(1, 48, 64, dtype=torch.long))
    loss.backward()
    assert all(p.grad is None for p in sam.image_encoder.parameters())
    assert all(p.grad is None for p in sam.prompt_encoder.parameters())
    # single-mask output: the transformer, upscaling and the first hypernetwork MLP learn
    for part in (sam.mask_decoder.transformer, sam.mask_decoder.output_upscaling,
                 sam.mask_decoder.output_hypernetworks_mlps[0]):
        grads = [p.grad for p in part.parameters()]
        assert all(g is not None and torch.isfinite(g).all() for g in grads)
        assert sum(float(g.abs().sum()) for g in grads) > 0
    assert not any(p.requires_grad for p in sam.image_encoder.parameters())


def test_small_checkpoint_round_trip(tmp_path):
    sam = tiny()
    with torch.no_grad():
        sam.mask_decoder.iou_token.weight.add_(1.0)
    path = tmp_path / 'tuned.pth'
    torch.save(sam.state_dict(), path)
    again = build_sam_from_cfg(dict(TINY_SAM, checkpoint=str(path)))
    assert torch.equal(again.mask_decoder.iou_token.weight, sam.mask_decoder.iou_token.weight)


def test_unknown_type():
    with pytest.raises(ValueError, match='unknown SAM model type'):
        build_sam('vit_x', 'x.pth')


def test_camvid_config_checkpoint_errors(repo_root, tmp_path):
    from tools.pseudo_label import main
    cfg = str(repo_root / 'configs/sam_logic/camvid_vit_b.py')
    with pytest.raises(CheckpointError, match='dl.fbaipublicfiles.com/segment_anything/sam_vit_b_01ec64.pth'):
        main([cfg, '--out', str(tmp_path / 'out')])
    small = tmp_path / 'small.pth'
    torch.save(tiny().state_dict(), small)
    with pytest.raises(CheckpointError, match=r'small\.pth: not a SAM vit_b checkpoint'):
        main([cfg, '--out', str(tmp_path / 'out'), '--checkpoint', str(small)])
