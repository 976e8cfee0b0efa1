"""Dense CLIP (MaskCLIP style) on a random-weight tiny open_clip ViT: the dense tokens against a
direct computation from open_clip's own modules, the image-level score against open_clip's
reference, the labeller end to end on real CamVid images, and the missing-checkpoint error."""
from __future__ import annotations

import os

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from wsseg.models.dense_clip import DenseClip, load_open_clip
from wsseg.registry import PSEUDO_LABELLERS
from wsseg.utils.checkpoint import CheckpointError

os.environ.setdefault('HF_HUB_OFFLINE', '1')
TINY = 'wsseg-tiny-clip'   # wsseg/patch/model_configs: 32x32 input, 8x8 patches, width 64, 2 blocks


@pytest.fixture(scope='module')
def tiny():
    import open_clip
    torch.manual_seed(0)
    clip = load_open_clip(TINY, None, allow_random_weights=True)
    return clip, open_clip.get_tokenizer(TINY), DenseClip(clip, open_clip.get_tokenizer(TINY))


def self_attention_only(visual, x: torch.Tensor) -> torch.Tensor:
    """Reference: open_clip's own modules, the last block run with an attention mask that lets
    each token attend only to itself (so its output is its value path), then ln_post and proj.
    Returns (B, D, h, w)."""
    h = visual._embeds(x)
    blocks = visual.transformer.resblocks
    for blk in blocks[:-1]:
        h = blk(h)
    n = h.shape[1]
    mask = torch.full((n, n), float('-inf'))
    mask.fill_diagonal_(0.0)
    h = blocks[-1](h, attn_mask=mask)
    tokens = visual.ln_post(h[:, 1:]) @ visual.proj
    gh, gw = x.shape[-2] // visual.patch_size[0], x.shape[-1] // visual.patch_size[1]
    return tokens.transpose(1, 2).reshape(x.shape[0], -1, gh, gw)


@torch.no_grad()
def test_dense_tokens_are_the_value_path_of_open_clips_last_block(tiny):
    clip, _, dense_clip = tiny
    x = torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    pooled, dense = dense_clip(x)
    assert dense.shape == (2, 64, 4, 4)
    ref = self_attention_only(clip.visual, x)
    assert torch.allclose(dense, ref, atol=1e-5), (dense - ref).abs().max()
    # the full last block (q-k attention) gives other tokens: the check can tell them apart
    _, full_tokens = clip.visual._pool(clip.visual.transformer(clip.visual._embeds(x)))
    full = (full_tokens @ clip.visual.proj).transpose(1, 2).reshape(2, -1, 4, 4)
    assert (full - dense).abs().max() > 1e-2


@torch.no_grad()
def test_non_square_grid_keeps_row_major_token_order(tiny):
    """At 48x64 (a 6x8 grid) the positional embedding is interpolated; an open_clip ViT built for
    48x64 with that embedding and the same weights must give the same dense tokens."""
    import open_clip
    clip, _, dense_clip = tiny
    vision = dict(image_size=(48, 64), layers=2, width=64, head_width=32, patch_size=8)
    text = dict(context_length=77, vocab_size=49408, width=64, heads=2, layers=2)
    wide = open_clip.model.CLIP(embed_dim=64, vision_cfg=vision, text_cfg=text).eval()
    state = {k: v for k, v in clip.state_dict().items() if k != 'visual.positional_embedding'}
    state['visual.positional_embedding'] = dense_clip.positional_embedding((6, 8))
    wide.load_state_dict(state)
    x = torch.randn(1, 3, 48, 64, generator=torch.Generator().manual_seed(2))
    _, dense = dense_clip(x)
    assert dense.shape == (1, 64, 6, 8)
    assert torch.allclose(dense, self_attention_only(wide.visual, x), atol=1e-5)


@torch.no_grad()
def test_image_level_score_matches_open_clips_reference(tiny, shared_data):
    """The image-level score from the dense forward pass (shared trunk) equals open_clip's
    logit_scale * cos(encode_image, encode_text) on real images: one embedding space."""
    import open_clip
    clip, tokenizer, dense_clip = tiny
    preprocess = open_clip.image_transform(clip.visual.image_size, is_train=False)
    files = sorted((shared_data / 'camvid' / 'images' / 'val').glob('*.jpg'))[:3]
    if not files:
        pytest.skip('no CamVid val images in the shared data')
    x = torch.stack([preprocess(Image.open(f).convert('RGB')) for f in files])
    names = ['sky', 'road', 'car']
    ref = clip.logit_scale.exp() * F.normalize(clip.encode_image(x), dim=-1) \
        @ F.normalize(clip.encode_text(tokenizer(names)), dim=-1).t()
    text = dense_clip.text_embeddings(names, templates=['{}'])
    img, dense = dense_clip.scores(x, text)
    assert img.shape == (3, 3) and dense.shape == (3, 3, 4, 4)
    assert torch.allclose(img, ref, atol=1e-4), (img - ref).abs().max()
    # several templates: each embedding normalised, averaged, normalised again
    temps = ['a photo of a {}.', 'there is a {} in the scene.']
    each = F.normalize(clip.encode_text(tokenizer([t.format('sky') for t in temps])), dim=-1)
    assert torch.allclose(dense_clip.text_embeddings(['sky'], temps)[0], F.normalize(each.mean(0), dim=0),
                          atol=1e-6)
    # a class given by two names averages both names' templates
    both = F.normalize(clip.encode_text(tokenizer([f'a {n}.' for n in ('car', 'auto')])), dim=-1).mean(0)
    assert torch.allclose(dense_clip.text_embeddings([['car', 'auto']], ['a {}.'])[0],
                          F.normalize(both, dim=0), atol=1e-6)


def test_missing_checkpoint_names_the_file_and_where_to_get_it(tmp_path):
    missing = tmp_path / 'open_clip_vit_b16_openai.pt'
    with pytest.raises(CheckpointError, match='open_clip_vit_b16_openai.pt') as err:
        PSEUDO_LABELLERS.build(dict(type='DenseClipLabeller', class_prompts=['sky'], checkpoint=str(missing)))
    msg = str(err.value)
    assert 'CLIP checkpoint not found' in msg and str(missing) in msg
    assert 'huggingface.co/timm/vit_base_patch16_clip_224.openai' in msg
    assert "create_model('ViT-B-16-quickgelu', pretrained='openai')" in msg
    with pytest.raises(CheckpointError, match='allow_random_weights=True'):
        PSEUDO_LABELLERS.build(dict(type='DenseClipLabeller', class_prompts=['sky']))


def tiny_labeller(**kw):
    torch.manual_seed(0)
    cfg = dict(type='DenseClipLabeller', model_name=TINY, allow_random_weights=True, device='cpu')
    return PSEUDO_LABELLERS.build({**cfg, **kw})


def sample(image: np.ndarray, tags=None) -> dict:
    from wsseg.datasets.transforms import SegSample
    from wsseg.structures import WeakLabels
    weak = None if tags is None else WeakLabels(image.shape[:2], tags=np.asarray(tags, np.int64))
    s = SegSample(img_path='img.jpg', img_id='img', ori_shape=image.shape[:2], img_shape=image.shape[:2],
                  weak=weak)
    return dict(inputs=torch.from_numpy(image).permute(2, 0, 1).contiguous(), data_samples=s)


@pytest.fixture(scope='module')
def camvid_crop(shared_data) -> np.ndarray:
    files = sorted((shared_data / 'camvid' / 'images' / 'train').glob('*.jpg'))
    if not files:
        pytest.skip('no CamVid train images in the shared data')
    return np.asarray(Image.open(files[0]).convert('RGB'))[40:104, 60:124].copy()   # 64x64


@torch.no_grad()
def test_labels_follow_the_text_embeddings_within_the_candidates(camvid_crop):
    """Scores -> classes: give classes 3 and 7 (of 9) the text embeddings of two patches' own
    dense tokens; with tags [3, 7] those patches take those classes, and nothing else appears."""
    lab = tiny_labeller(class_prompts=[f'class {i}' for i in range(9)], short_side=None, refine='none')
    _, dense = lab.model(lab.prepare(torch.from_numpy(camvid_crop).permute(2, 0, 1)))
    assert dense.shape[-2:] == (4, 4)                  # 64x64 -> the native 32x32 -> 4x4 patches
    text = F.normalize(torch.randn(9, dense.shape[1], generator=torch.Generator().manual_seed(3)), dim=1)
    text[3], text[7] = F.normalize(dense[0, :, 0, 0], dim=0), F.normalize(dense[0, :, 3, 3], dim=0)
    lab._text = text
    mask, conf = lab.label(sample(camvid_crop, tags=[3, 7]))
    assert mask.shape == conf.shape == (64, 64) and mask.dtype == np.uint8
    assert set(np.unique(mask)) <= {3, 7}
    assert mask[7, 7] == 3 and mask[56, 56] == 7       # the two patches' centres
    assert np.all((conf > 0) & (conf <= 1))
    probs = lab.patch_probs(sample(camvid_crop)['inputs'], np.array([3, 7]))
    assert probs.shape == (2, 4, 4) and np.allclose(probs.sum(0), 1, atol=1e-5)
    # no tags on the sample: every class is a candidate
    assert lab.candidates(sample(camvid_crop)).tolist() == list(range(9))


def test_background_and_empty_tags(camvid_crop):
    lab = tiny_labeller(class_prompts=['background', 'sky', 'road'], background_index=0, short_side=None,
                        refine='none')
    assert lab.candidates(sample(camvid_crop, tags=[2])).tolist() == [0, 2]
    mask, conf = lab.label(sample(camvid_crop, tags=[]))          # only background is possible
    assert (mask == 0).all() and (conf == 1).all()
    with pytest.raises(ValueError, match='tags \\[5\\] are not among the 3 class prompts'):
        lab.label(sample(camvid_crop, tags=[5]))
    with pytest.raises(ValueError, match='background_index 4'):
        tiny_labeller(class_prompts=['a', 'b'], background_index=4)
    with pytest.raises(ValueError, match="refine must be one of"):
        tiny_labeller(class_prompts=['a', 'b'], refine='sam')
    with pytest.raises(ValueError, match="refine='superpixels' takes no options \\['n_iters'\\]"):
        tiny_labeller(class_prompts=['a', 'b'], refine='superpixels', refine_cfg=dict(n_iters=3))


def _tags(shared_data, stem: str) -> set[int]:
    gt = np.asarray(Image.open(shared_data / 'camvid' / 'masks' / 'train' / f'{stem}.png'))
    return set(np.unique(gt).tolist()) - {255}


@pytest.mark.parametrize('refine', ['crf', 'superpixels'])
def test_pseudo_label_tool_end_to_end_on_camvid(tmp_path, shared_data, repo_root, refine):
    """tools/pseudo_label.py with the random-weight config on a real CamVid frame: one PNG at its
    size, every label among the frame's (simulated) tags, a confidence PNG; a rerun resumes."""
    from tools.pseudo_label import main as pseudo_label_main
    cfg = repo_root / 'configs' / 'dense_clip' / 'camvid_dense_clip_random.py'
    if refine == 'superpixels':   # a config on top, as a user would write; class names from the dataset
        (tmp_path / 'sp.py').write_text(
            f"_base_ = [{str(cfg)!r}]\n"
            "pseudo_labeller = dict(class_prompts=None, refine='superpixels',\n"
            "                       refine_cfg=dict(_delete_=True, n_segments=100))\n")
        cfg = tmp_path / 'sp.py'
    out = tmp_path / 'out'
    args = [str(cfg), '--out', str(out), '--save-confidence', '--cfg-options', 'pseudo_dataset.indices=1',
            f'pseudo_dataset.data_root={shared_data / "camvid"}']
    report = pseudo_label_main(args)
    assert report['labelled'] == 1 and report['skipped_bad'] == []
    pngs = sorted(out.glob('*.png'))
    assert len(pngs) == 1
    mask = np.asarray(Image.open(pngs[0]))
    assert mask.shape == (180, 240)
    assert set(np.unique(mask).tolist()) <= _tags(shared_data, pngs[0].stem)
    assert (out / 'confidence' / pngs[0].name).is_file()
    assert pseudo_label_main(args)['skipped_existing'] == 1


def test_voc_config_tags_from_xml_plus_background(tmp_path, shared_data, repo_root):
    """configs/dense_clip/voc_dense_clip.py with random weights on a real VOC image: its labels are
    among the image's XML object classes plus background (index 0)."""
    import xml.etree.ElementTree as ET

    from tools.pseudo_label import main as pseudo_label_main
    from wsseg.datasets.voc import VOC_CLASSES
    voc = shared_data / 'voc_mini' / 'VOCdevkit' / 'VOC2012'
    if not (voc / 'Annotations' / '2007_000063.xml').is_file():
        pytest.skip(f'VOC sample 2007_000063 not found under {voc}')
    ids = tmp_path / 'ids.txt'
    ids.write_text('2007_000063\n')
    out = tmp_path / 'out'
    pseudo_label_main([str(repo_root / 'configs' / 'dense_clip' / 'voc_dense_clip.py'), '--out', str(out),
                       '--cfg-options', f'pseudo_dataset.data_root={voc}', f'pseudo_dataset.split={ids}',
                       f'pseudo_labeller.model_name={TINY}', 'pseudo_labeller.checkpoint=None',
                       'pseudo_labeller.allow_random_weights=True', 'pseudo_labeller.short_side=64'])
    names = [o.findtext('name').strip() for o in ET.parse(voc / 'Annotations' / '2007_000063.xml').iter('object')]
    allowed = {0} | {VOC_CLASSES.index(n) for n in names}
    mask = np.asarray(Image.open(out / '2007_000063.png'))
    assert mask.shape == (375, 500)
    assert set(np.unique(mask).tolist()) <= allowed and len(allowed) >= 2


def test_real_config_stops_on_the_missing_checkpoint(repo_root, tmp_path):
    """The ViT-B/16 config builds as far as its weights, and names the file it needs."""
    from tools.pseudo_label import main as pseudo_label_main
    cfg = str(repo_root / 'configs' / 'dense_clip' / 'camvid_dense_clip.py')
    missing = tmp_path / 'checkpoints' / 'open_clip_vit_b16_openai.pt'
    with pytest.raises(CheckpointError, match='open_clip_vit_b16_openai.pt.*vit_base_patch16_clip_224.openai'):
        pseudo_label_main([cfg, '--out', str(tmp_path / 'out'), '--checkpoint', str(missing)])
