"""Segment Anything (``segment_anything``) for wsseg: build, load, freeze, embed, decode.

- :func:`build_sam` builds ``vit_b`` / ``vit_l`` / ``vit_h`` from a user checkpoint (errors name
  the file, the official download URL, and, for a checkpoint of another model type, the
  mismatched state-dict keys);
- :func:`build_small_sam` builds the same modules (``ImageEncoderViT``, ``PromptEncoder``,
  ``MaskDecoder``, ``TwoWayTransformer``) at small dims with random weights, for tests and CPU
  configs;
- :func:`freeze_for_decoder_tuning` leaves only the mask decoder trainable;
- :func:`preprocess_image`, :func:`transform_boxes`, :func:`transform_points`,
  :func:`decode_prompts`, :func:`logits_to_frame` wrap SAM's own resize / normalise / pad,
  decoder and mask post-processing; :func:`predict_masks` chains them. Together they give
  the logits, masks and IoU scores of ``segment_anything.SamPredictor`` for the same model,
  image and prompts (``tests/fidelity/test_sam_predictor.py``).
"""
from __future__ import annotations

import hashlib
from functools import partial
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from segment_anything import sam_model_registry
from segment_anything.modeling import (ImageEncoderViT, MaskDecoder, PromptEncoder, Sam,
                                       TwoWayTransformer)
from segment_anything.utils.transforms import ResizeLongestSide

from wsseg.utils.checkpoint import CheckpointError, directory_message

SAM_TYPES = ('vit_b', 'vit_l', 'vit_h')
SAM_URLS = {
    'vit_b': 'https://dl.fbaipublicfiles.com/segment_anything/sam_vit_b_01ec64.pth',
    'vit_l': 'https://dl.fbaipublicfiles.com/segment_anything/sam_vit_l_0b3195.pth',
    'vit_h': 'https://dl.fbaipublicfiles.com/segment_anything/sam_vit_h_4b8939.pth',
}
_SAM_FILES = {k: v.rsplit('/', 1)[1] for k, v in SAM_URLS.items()}
# image-encoder width of each official model: used to say which type a checkpoint is
_ENCODER_WIDTH = {768: 'vit_b', 1024: 'vit_l', 1280: 'vit_h'}


# ----------------------------------------------------------------------------- building
def build_small_sam(image_size: int = 128, patch_size: int = 8, encoder_dim: int = 64,
                    encoder_depth: int = 2, encoder_heads: int = 2, prompt_dim: int = 32,
                    decoder_mlp_dim: int = 128, decoder_heads: int = 2, window_size: int = 4,
                    seed: int | None = 0) -> Sam:
    """A random-weight SAM made of segment_anything's own modules at small dims.

    The image embedding is ``(prompt_dim, image_size // patch_size, ...)`` and the decoder's
    low-res masks are 4x that. ``seed`` makes the random weights reproducible.
    """
    if image_size % patch_size:
        raise ValueError(f'image_size {image_size} must be a multiple of patch_size {patch_size}')
    emb = image_size // patch_size
    gen_state = torch.random.get_rng_state()
    if seed is not None:
        torch.manual_seed(seed)
    try:
        sam = Sam(
            image_encoder=ImageEncoderViT(
                img_size=image_size, patch_size=patch_size, embed_dim=encoder_dim,
                depth=encoder_depth, num_heads=encoder_heads, mlp_ratio=4,
                norm_layer=partial(torch.nn.LayerNorm, eps=1e-6), qkv_bias=True,
                use_rel_pos=True, window_size=window_size,
                global_attn_indexes=(encoder_depth - 1,), out_chans=prompt_dim),
            prompt_encoder=PromptEncoder(
                embed_dim=prompt_dim, image_embedding_size=(emb, emb),
                input_image_size=(image_size, image_size), mask_in_chans=4),
            mask_decoder=MaskDecoder(
                num_multimask_outputs=3,
                transformer=TwoWayTransformer(depth=2, embedding_dim=prompt_dim,
                                              mlp_dim=decoder_mlp_dim, num_heads=decoder_heads),
                transformer_dim=prompt_dim, iou_head_depth=3, iou_head_hidden_dim=64),
        )
    finally:
        if seed is not None:
            torch.random.set_rng_state(gen_state)
    return sam.eval()


def _shape_mismatches(expected: dict, got: dict, limit: int = 6) -> list[str]:
    out = []
    for k, v in expected.items():
        if k not in got:
            out.append(f'{k} missing')
        elif tuple(got[k].shape) != tuple(v.shape):
            out.append(f'{k} {tuple(got[k].shape)} vs expected {tuple(v.shape)}')
    out += [f'{k} unexpected' for k in got if k not in expected]
    return out[:limit] + ([f'... {len(out) - limit} more'] if len(out) > limit else [])


def check_sam_state_dict(model: torch.nn.Module, state: dict, path: str | Path,
                         model_type: str) -> None:
    """Raise :class:`CheckpointError` naming the file and the mismatched keys if ``state``
    does not fit ``model`` (e.g. a vit_h checkpoint given for vit_b)."""
    bad = _shape_mismatches(model.state_dict(), state)
    if not bad:
        return
    pos = state.get('image_encoder.pos_embed')
    guess = _ENCODER_WIDTH.get(int(pos.shape[-1])) if pos is not None and pos.ndim else None
    hint = f' It looks like a {guess} checkpoint.' if guess and guess != model_type else ''
    raise CheckpointError(f'{path}: not a SAM {model_type} checkpoint; mismatched state-dict keys: '
                          f'{"; ".join(bad)}.{hint}')


def _load_state(path: Path) -> dict:
    try:
        obj = torch.load(path, map_location='cpu', weights_only=True)
    except Exception as e:  # truncated file, pickle, disallowed globals
        raise CheckpointError(f'{path}: cannot load as a SAM checkpoint with weights_only=True ({e})') from e
    if isinstance(obj, dict) and isinstance(obj.get('model'), dict):
        obj = obj['model']
    if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise CheckpointError(f'{path}: not a SAM state dict (expected a mapping of names to tensors)')
    return obj


def build_sam(model_type: str, checkpoint: str | Path) -> Sam:
    """SAM ``vit_b`` / ``vit_l`` / ``vit_h`` with the weights of ``checkpoint`` (a local file).

    The shapes are checked on a meta-device model first, so a wrong-type checkpoint fails
    fast with the mismatched keys named.
    """
    if model_type not in SAM_TYPES:
        raise ValueError(f'unknown SAM model type {model_type!r}; expected one of {SAM_TYPES}')
    if not checkpoint:
        raise CheckpointError(f'no SAM {model_type} checkpoint given. Download it from '
                              f'{SAM_URLS[model_type]} and pass its local path (checkpoint= in the '
                              'config, or --checkpoint).')
    p = Path(checkpoint).expanduser()
    if p.is_dir():
        raise CheckpointError(directory_message(p, f'SAM {model_type}', f'{_SAM_FILES[model_type]} '
                                                f'from {SAM_URLS[model_type]}'))
    if not p.is_file():
        raise CheckpointError(f'SAM {model_type} checkpoint not found: {p}. Download it from '
                              f'{SAM_URLS[model_type]} and pass its local path as checkpoint=.')
    state = _load_state(p)
    with torch.device('meta'):
        skeleton = sam_model_registry[model_type]()
    check_sam_state_dict(skeleton, state, p, model_type)
    sam = sam_model_registry[model_type]()
    sam.load_state_dict(state)
    return sam.eval()


def build_sam_from_cfg(cfg: dict | Sam) -> Sam:
    """``dict(type='small', **small_kwargs)`` or ``dict(type='vit_b', checkpoint=PATH)``."""
    if isinstance(cfg, Sam):
        return cfg
    cfg = dict(cfg)
    kind = cfg.pop('type', 'vit_b')
    if kind == 'small':
        ckpt = cfg.pop('checkpoint', None)
        sam = build_small_sam(**cfg)
        if ckpt:
            p = Path(ckpt).expanduser()
            if p.is_dir():
                raise CheckpointError(directory_message(p, 'small SAM', 'a state dict saved from '
                                                        'build_small_sam with the same options'))
            if not p.is_file():
                raise CheckpointError(f'small SAM checkpoint not found: {p}')
            state = _load_state(p)
            check_sam_state_dict(sam, state, p, 'small')
            sam.load_state_dict(state)
        return sam
    if cfg.keys() - {'checkpoint'}:
        raise ValueError(f'SAM {kind}: unexpected options {sorted(cfg.keys() - {"checkpoint"})}')
    return build_sam(kind, cfg.get('checkpoint'))


def freeze_for_decoder_tuning(sam: Sam) -> Sam:
    """Freeze the image encoder and the prompt encoder; only the mask decoder trains."""
    for p in sam.image_encoder.parameters():
        p.requires_grad_(False)
    for p in sam.prompt_encoder.parameters():
        p.requires_grad_(False)
    for p in sam.mask_decoder.parameters():
        p.requires_grad_(True)
    sam.image_encoder.eval()
    sam.prompt_encoder.eval()
    return sam


def state_fingerprint(module: torch.nn.Module) -> str:
    """blake2b of a module's state dict (names, shapes, dtypes, values)."""
    h = hashlib.blake2b(digest_size=16)
    for k, v in sorted(module.state_dict().items()):
        t = v.detach().cpu().contiguous()
        h.update(f'{k}:{tuple(t.shape)}:{t.dtype}'.encode())
        h.update(t.view(torch.uint8).numpy().tobytes() if t.numel() else b'')
    return h.hexdigest()


def file_fingerprint(path: str | Path, chunk: int = 1 << 22) -> str:
    """blake2b of a file's bytes (a checkpoint identifies the model it holds)."""
    h = hashlib.blake2b(digest_size=16)
    with open(path, 'rb') as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


# ----------------------------------------------------------------------------- frames
def input_size(sam: Sam, hw: tuple[int, int]) -> tuple[int, int]:
    """(h, w) of an image of size ``hw`` after SAM's longest-side resize."""
    return ResizeLongestSide.get_preprocess_shape(hw[0], hw[1], sam.image_encoder.img_size)


def preprocess_image(sam: Sam, image: np.ndarray) -> torch.Tensor:
    """RGB uint8 (H, W, 3) -> normalised, padded (1, 3, S, S) on SAM's device."""
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f'expected an RGB uint8 (H, W, 3) image, got {image.dtype} {image.shape}')
    resized = ResizeLongestSide(sam.image_encoder.img_size).apply_image(image)
    x = torch.as_tensor(resized, device=sam.device).permute(2, 0, 1).contiguous()[None].float()
    return sam.preprocess(x)


def transform_boxes(sam: Sam, boxes: np.ndarray, hw: tuple[int, int]) -> torch.Tensor:
    """xyxy boxes in the original frame -> (N, 4) float in SAM's input frame."""
    t = ResizeLongestSide(sam.image_encoder.img_size)
    return torch.as_tensor(t.apply_boxes(np.asarray(boxes, np.float64).reshape(-1, 4), hw),
                           dtype=torch.float32, device=sam.device)


def transform_points(sam: Sam, points: np.ndarray, hw: tuple[int, int]) -> torch.Tensor:
    """(N, P, 2) xy pixel points in the original frame -> SAM's input frame.

    Pixel indices, as ``SamPredictor`` takes them: SAM's prompt encoder itself moves each point
    to its pixel's centre (+0.5), so adding it here too would shift every point by half a pixel.
    """
    t = ResizeLongestSide(sam.image_encoder.img_size)
    pts = np.asarray(points, np.float64)
    return torch.as_tensor(t.apply_coords(pts, hw), dtype=torch.float32, device=sam.device)


def decode_prompts(sam: Sam, embedding: torch.Tensor, boxes: torch.Tensor | None,
                   points: torch.Tensor | None, point_labels: torch.Tensor | None,
                   with_scores: bool = False):
    """Low-res mask logits (N, 1, 4e, 4e) for N prompts on one image embedding (C, e, e)
    (and, ``with_scores``, SAM's predicted IoU (N, 1)).

    Each prompt may hold a box and/or points; points labelled -1 are padding and come after a
    prompt's real points. Prompts are decoded in groups of equal real-point count, without the
    padding, so each prompt gets exactly the tokens ``SamPredictor.predict`` gives it (a
    padding token would change the decoder's attention). The prompt encoder runs without
    gradient (it is frozen); the decoder keeps its graph.
    """
    n = len(boxes) if boxes is not None else len(points)
    if points is None:
        counts = torch.zeros(n, dtype=torch.long)
    else:
        valid = point_labels >= 0
        counts = valid.sum(1).cpu()
        if bool((valid.int().diff(dim=1) > 0).any()):
            raise ValueError('decode_prompts: padding points (label -1) must follow the real ones')
    pe = sam.prompt_encoder.get_dense_pe()
    lows, ious, order = [], [], []
    for k in torch.unique(counts).tolist():
        idx = torch.nonzero(counts == k)[:, 0]
        bx = boxes[idx.to(boxes.device)] if boxes is not None else None
        pts = None
        if k:
            j = idx.to(points.device)
            pts = (points[j, :k], point_labels[j, :k])
        elif bx is None:
            raise ValueError('decode_prompts: a prompt with neither a box nor a point')
        with torch.no_grad():
            sparse, dense = sam.prompt_encoder(points=pts, boxes=bx, masks=None)
        low, iou = sam.mask_decoder(image_embeddings=embedding[None], image_pe=pe,
                                    sparse_prompt_embeddings=sparse, dense_prompt_embeddings=dense,
                                    multimask_output=False)
        lows.append(low)
        ious.append(iou)
        order.append(idx)
    back = torch.argsort(torch.cat(order)).to(embedding.device)
    low = torch.cat(lows)[back]
    return (low, torch.cat(ious)[back]) if with_scores else low


def logits_to_frame(sam: Sam, low: torch.Tensor, hw: tuple[int, int],
                    out_size: Sequence[int] | None = None) -> torch.Tensor:
    """Low-res logits (N, 1, m, m) over the padded square -> (N, out_h, out_w) in the image
    frame (``out_size`` defaults to the original ``hw``), as SAM's ``postprocess_masks``:
    upsample to the padded input square, cut the padding, resize to the frame."""
    s = sam.image_encoder.img_size
    ih, iw = input_size(sam, hw)
    up = F.interpolate(low, (s, s), mode='bilinear', align_corners=False)[..., :ih, :iw]
    out = F.interpolate(up, tuple(out_size or hw), mode='bilinear', align_corners=False)
    return out[:, 0]


@torch.no_grad()
def predict_masks(sam: Sam, embedding: torch.Tensor, hw: tuple[int, int],
                  boxes: np.ndarray | None = None, points: np.ndarray | None = None,
                  point_labels: np.ndarray | None = None
                  ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """SAM's prediction for N prompts in the original frame ``hw``: masks (N, H, W) bool,
    logits (N, H, W) and predicted IoU (N,), single-mask output; what
    ``SamPredictor.predict(..., multimask_output=False)`` gives prompt by prompt.

    ``boxes`` (N, 4) xyxy; ``points`` (N, P, 2) xy pixel indices with ``point_labels`` (N, P)
    (1 foreground, 0 background, -1 padding after the real points).
    """
    bx = transform_boxes(sam, boxes, hw) if boxes is not None else None
    pts = transform_points(sam, points, hw) if points is not None else None
    lab = torch.as_tensor(np.asarray(point_labels), device=sam.device) if points is not None else None
    low, iou = decode_prompts(sam, embedding, bx, pts, lab, with_scores=True)
    logits = logits_to_frame(sam, low, hw)
    return logits > sam.mask_threshold, logits, iou[:, 0]
