"""wsseg's SAM path computes what ``segment_anything.SamPredictor`` computes for the same model
and image: image preprocessing and embedding (also read back from the embedding cache), box
and point prompt transforms, decoding, and mask post-processing give the same logits, masks
and IoU scores, to float tolerance. A non-square image whose size is not the model's input
size; box prompts, point prompts (with different point counts in one batch) and both together;
the small SAM, and ``vit_b`` with random weights (slow)."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from segment_anything import SamPredictor, sam_model_registry

from wsseg.pseudo.sam_prompts import Prompts

SMALL = dict(type='small', image_size=64, patch_size=8, encoder_dim=32, encoder_depth=2,
             encoder_heads=2, prompt_dim=16, decoder_mlp_dim=32, decoder_heads=2, seed=0)

# (box xyxy or None, points (x, y), point labels) per prompt, in the image frame (H=75, W=103)
BOXES = [([10, 5, 60, 40], [], []), ([40.5, 20, 102, 74], [], [])]
POINTS = [(None, [(20, 30), (70, 50), (90, 10)], [1, 1, 0]), (None, [(50, 60)], [1])]
BOTH = [([10, 5, 60, 40], [(30, 20), (55, 38)], [1, 0]), ([0, 0, 103, 75], [], []),
        ([40, 20, 100, 70], [(80, 60)], [1])]


def _image(h: int = 75, w: int = 103) -> np.ndarray:
    """A smooth non-square RGB image with an object on it."""
    yy, xx = np.mgrid[:h, :w]
    img = np.stack([xx * 255 // w, yy * 255 // h, (xx + yy) % 256], -1).astype(np.uint8)
    img[10:40, 20:60] = (230, 40, 40)
    return img


def _reference(sam, image: np.ndarray, prompts: list) -> tuple[np.ndarray, np.ndarray, torch.Tensor]:
    """Logits (N, H, W), IoU scores (N,) and the image embedding from SamPredictor, one
    ``predict`` call per prompt (its numpy interface, single-mask output)."""
    pred = SamPredictor(sam)
    pred.set_image(image)
    logits, ious = [np.zeros((0, *image.shape[:2]), np.float32)], [np.zeros(0, np.float32)]
    for box, pts, lab in prompts:
        lg, iou, _ = pred.predict(point_coords=np.asarray(pts, np.float64).reshape(-1, 2) if pts else None,
                                  point_labels=np.asarray(lab) if pts else None,
                                  box=np.asarray(box, np.float64) if box is not None else None,
                                  multimask_output=False, return_logits=True)
        logits.append(lg[:1])
        ious.append(iou[:1])
    return np.concatenate(logits), np.concatenate(ious), pred.features[0]


def _as_prompts(prompts: list) -> Prompts:
    """wsseg's Prompts: box prompts (with their points, padded with label -1) and point-only ones."""
    def pad(group):
        n = max([len(p) for _, p, _ in group] + [1])
        pts = np.zeros((len(group), n, 2), np.int64)
        lab = -np.ones((len(group), n), np.int64)
        for i, (_, p, l) in enumerate(group):
            pts[i, :len(p)], lab[i, :len(p)] = np.asarray(p).reshape(-1, 2), l
        return pts, lab
    boxed = [p for p in prompts if p[0] is not None]
    free = [p for p in prompts if p[0] is None]
    bp, bl = pad(boxed) if boxed else (np.zeros((0, 1, 2), np.int64), np.zeros((0, 1), np.int64))
    pp, pl = pad(free) if free else (np.zeros((0, 1, 2), np.int64), np.zeros((0, 1), np.int64))
    return Prompts(np.ones(len(prompts), np.int64), np.ones(len(prompts)),
                   np.asarray([p[0] for p in boxed], np.float32).reshape(-1, 4), bp, bl, pp, pl)


def _check(ours: np.ndarray, ref: np.ndarray) -> None:
    """Logits to float tolerance (random weights give logits of about +-0.05), and the masks
    (logit > 0, as SAM's) equal wherever the logit is not within rounding of 0."""
    np.testing.assert_allclose(ours, ref, rtol=1e-4, atol=1e-6)
    sure = np.abs(ref) > 1e-5
    assert sure.mean() > 0.95
    np.testing.assert_array_equal(ours[sure] > 0, ref[sure] > 0)


@pytest.fixture(scope='module')
def small(tmp_path_factory):
    from wsseg.pseudo.sam_logic import SamLogicPseudoLabeller
    cache = tmp_path_factory.mktemp('sam_cache')
    lab = SamLogicPseudoLabeller(sam=SMALL, num_classes=2, cache_dir=str(cache), device='cpu')
    return lab


@pytest.mark.parametrize('case', ['boxes', 'points', 'both'])
def test_small_sam_matches_sam_predictor(small, case):
    prompts = dict(boxes=BOXES, points=POINTS, both=BOTH)[case]
    img = _image()
    ref_logits, ref_iou, ref_emb = _reference(small.sam, img, prompts)
    emb = small.embed(img)
    np.testing.assert_allclose(emb.numpy(), ref_emb.numpy(), rtol=1e-5, atol=1e-5)
    # the labeller's path: box prompts first, then point prompts (the reference's order too,
    # as every case lists its box prompts first)
    with torch.no_grad():
        logits = small.prompt_logits(emb, _as_prompts(prompts), img.shape[:2], img.shape[:2])
    _check(logits.numpy(), ref_logits)
    # one prompt at a time through predict_masks: masks, logits and IoU scores
    from wsseg.models.sam import predict_masks
    for i, (box, pts, lab) in enumerate(prompts):
        masks, lg, iou = predict_masks(small.sam, emb, img.shape[:2],
                                       boxes=None if box is None else np.asarray([box]),
                                       points=np.asarray([pts]).reshape(1, -1, 2) if pts else None,
                                       point_labels=np.asarray([lab]) if pts else None)
        _check(lg[0].numpy(), ref_logits[i])
        np.testing.assert_allclose(iou.numpy()[0], ref_iou[i], rtol=1e-4, atol=1e-5)
        assert masks.dtype == torch.bool and torch.equal(masks, lg > 0)


def test_cached_embedding_matches_sam_predictor(small):
    img = _image()
    first = small.embed(img)                       # computed, or read back if an earlier test wrote it
    small._cache = None                            # a fresh cache object: the read comes from disk
    again = small.embed(img)
    assert small.cache().hits == 1 and small.cache().misses == 0
    _, _, ref_emb = _reference(small.sam, img, [])
    np.testing.assert_allclose(again.numpy(), ref_emb.numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(again.numpy(), first.numpy())


@pytest.mark.slow
def test_vit_b_random_weights_matches_sam_predictor(tmp_path):
    from wsseg.pseudo.sam_logic import SamLogicPseudoLabeller
    torch.manual_seed(0)
    sam = sam_model_registry['vit_b']().eval()
    lab = SamLogicPseudoLabeller(sam=sam, num_classes=2, cache_dir=str(tmp_path), device='cpu')
    img = _image(300, 420)
    prompts = [([30, 20, 200, 150], [(80, 60), (190, 140)], [1, 0]), ([150, 80, 400, 290], [], []),
               (None, [(100, 250), (300, 100), (20, 20)], [1, 1, 0])]
    ref_logits, ref_iou, ref_emb = _reference(lab.sam, img, prompts)
    emb = lab.embed(img)
    np.testing.assert_allclose(emb.numpy(), ref_emb.numpy(), rtol=1e-4, atol=1e-4)
    with torch.no_grad():
        logits = lab.prompt_logits(emb, _as_prompts(prompts), img.shape[:2], img.shape[:2])
    _check(logits.numpy(), ref_logits)
