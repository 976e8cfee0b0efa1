"""A trained mmseg second-stage network as a predictor of per-pixel logits.

Used by one round of self-training (``tools/bench_tags.py --steps selftrain``): the mmseg
DeepLabV3+ / Mask2Former trained on pseudo-masks predicts every train image again.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from wsseg.utils.io import DataError, read_image


def load_mmseg_segmentor(config: Config | str, checkpoint: str | Path, device: str | None = None) -> torch.nn.Module:
    """The mmseg segmentor of ``config`` with the weights of ``checkpoint`` (a file tools/train.py
    wrote, or a bare state dict), in eval mode on ``device`` (CUDA when there is one). Keys must
    match exactly: a missing, unexpected or misshaped key is an error naming the file."""
    from wsseg.models.resnet_trunk import key_mismatches, mismatch_error
    from wsseg.stage2 import prepare_mmseg
    from wsseg.utils.checkpoint import load_state_dict_file
    state = load_state_dict_file(checkpoint, 'wsseg')
    prepare_mmseg()
    from mmseg.apis import init_model
    cfg = Config.fromfile(config) if isinstance(config, (str, Path)) else config.copy()
    if cfg.get('default_scope') != 'mmseg':
        raise ValueError(f'{getattr(cfg, "filename", config)} is not an mmseg config (default_scope '
                         f"{cfg.get('default_scope')!r}); wsseg networks load with MODELS.build")
    with DefaultScope.overwrite_default_scope('mmseg'):    # init_model would set it for the process
        model = init_model(cfg, None, device='cpu')
    missing, unexpected, shapes = key_mismatches(model.state_dict(), state)
    if missing or unexpected or shapes:
        raise mismatch_error(checkpoint, f'the mmseg model of {getattr(cfg, "filename", config)}',
                             missing, unexpected, shapes, kind='stage-2')
    model.load_state_dict(state)
    return model.to(device or ('cuda' if torch.cuda.is_available() else 'cpu')).eval()


@torch.no_grad()
def mmseg_logits(model: torch.nn.Module, img_path: str | Path, flip: bool = True) -> torch.Tensor:
    """(K, H, W) logits of ``model`` on the image file, at its full size; with ``flip``, the mean
    with the prediction of its mirror image (flipped back)."""
    from mmseg.apis import inference_model
    bgr = np.ascontiguousarray(read_image(img_path)[..., ::-1])   # mmseg pipelines read BGR
    imgs = [bgr, np.ascontiguousarray(bgr[:, ::-1])] if flip else [bgr]
    with DefaultScope.overwrite_default_scope('mmseg'):    # mmseg's test pipeline transforms
        out = [r.seg_logits.data.float().cpu() for r in inference_model(model, imgs)]
    logits = (out[0] + out[1].flip(-1)) / 2 if flip else out[0]
    if logits.shape[-2:] != bgr.shape[:2]:
        raise DataError(f'{img_path}: the stage-2 logits are {tuple(logits.shape[-2:])}, the image {bgr.shape[:2]}')
    return logits
