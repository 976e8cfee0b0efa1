"""``ClipPrompts`` scores patches as open_clip's own zero-shot reference does for the same model
and patches: the model's validation preprocess, ``model(image, text)`` (encode_image,
encode_text, normalisation) and the logit scale. Random weights (no hub): the test-only tiny
config, and ViT-B-32 (the paper's model; slow)."""
from __future__ import annotations

import numpy as np
import open_clip
import pytest
import torch
from PIL import Image

from wsseg.patch.grid import split_patches
from wsseg.registry import WEAK_LABELS


def _frame(h: int = 70, w: int = 113) -> np.ndarray:
    """A non-square frame that the 5x8 grid cuts into patches of unequal sizes."""
    yy, xx = np.mgrid[:h, :w]
    img = np.stack([xx * 255 // w, yy * 255 // h, (3 * xx + yy) % 256], -1).astype(np.uint8)
    img[20:50, 30:80] = (40, 160, 60)
    return img


def _reference(model_name: str, model: torch.nn.Module, prompts: list[str], img: np.ndarray,
               grid: tuple[int, int]) -> torch.Tensor:
    """open_clip's zero-shot recipe, from its own API: a fresh preprocess and tokenizer for the
    model name, then ``model(images, text)`` -> normalised features and the logit scale."""
    _, _, preprocess = open_clip.create_model_and_transforms(model_name, pretrained=None)
    tokenizer = open_clip.get_tokenizer(model_name)
    images = torch.stack([preprocess(Image.fromarray(np.ascontiguousarray(p)))
                          for p in split_patches(img, grid)])
    with torch.no_grad():
        image_features, text_features, logit_scale = model(images, tokenizer(prompts))[:3]
    return logit_scale * image_features @ text_features.T


def _ours_and_reference(model_name: str, grid=(5, 8)) -> dict[str, tuple]:
    """wsseg's ClipPrompts outputs beside open_clip's own computation, by output name."""
    torch.manual_seed(0)
    src = WEAK_LABELS.build(dict(type='ClipPrompts', model_name=model_name, allow_random_weights=True,
                                 grid=grid, batch_size=16))
    img = _frame()
    model = src._load()[0]
    ref = _reference(model_name, model, src.prompts, img, grid)
    expect = torch.from_numpy(np.where(ref.argmax(1).numpy().reshape(grid) >= src.n_bg, 1, 0))
    return {'patch_logits': (src.patch_logits(img), ref),
            'score_patches x logit scale': (src.score_patches(img) * model.logit_scale.exp(), ref),
            'label_patches': (torch.from_numpy(src.label_patches(img, image_label=1, background_index=0)), expect)}


def _mismatches(outputs: dict[str, tuple]) -> list[str]:
    """Names of the outputs that differ from the reference (shape, dtype or beyond 1e-4)."""
    bad = []
    for name, (ours, ref) in outputs.items():
        try:
            torch.testing.assert_close(ours, ref, rtol=1e-4, atol=1e-4)
        except AssertionError as e:
            bad.append(f'{name}: {e}')
    return bad


def test_tiny_clip_matches_open_clip_reference():
    from wsseg.weak.clip_prompts import TINY_CONFIG_DIR
    open_clip.add_model_config(TINY_CONFIG_DIR)
    assert _mismatches(_ours_and_reference('wsseg-tiny-clip')) == []


@pytest.mark.slow
def test_vit_b_32_matches_open_clip_reference():
    assert _mismatches(_ours_and_reference('ViT-B-32', grid=(2, 3))) == []
