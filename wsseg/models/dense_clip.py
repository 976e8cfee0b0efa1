"""Dense CLIP features (MaskCLIP, Zhou et al., ECCV 2022) from any open_clip ViT.

CLIP's image embedding is the class token after the last attention block, ``ln_post`` and the
projection ``proj``. MaskCLIP keeps the trunk up to the last block and, in that block, skips the
query-key attention: each patch token takes its own *value* embedding through the attention's
output projection, the residual, the MLP, ``ln_post`` and ``proj``. The tokens then live in the
text embedding space and score against text embeddings with no training. Equivalently: the last
block run with an attention mask that lets every token attend only to itself.

:class:`DenseClip` computes both from one pass through the shared trunk: the image embedding
(exactly ``model.encode_image``) and the dense value-path tokens, so both are compared to the
same text embeddings (:meth:`DenseClip.text_embeddings`: several templates per class, each
embedding L2-normalised, averaged, normalised again).
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from wsseg.utils.checkpoint import CheckpointError

# Templates in the style of CLIP's zero-shot prompts and MaskCLIP's "in the scene" ones.
TEMPLATES = ('a photo of a {}.', 'a photo of the {}.', 'a bad photo of the {}.',
             'a cropped photo of the {}.', 'a close-up photo of the {}.', 'a bright photo of the {}.',
             'a photo of a large {}.', 'a photo of a small {}.', 'there is a {} in the scene.',
             'there is the {} in the scene.', 'this is a {} in the scene.', 'this is the {} in the scene.')


def checkpoint_help(model_name: str) -> str:
    """Where the open_clip weights of ``model_name`` come from (from open_clip's own registry)."""
    import open_clip
    tags = open_clip.list_pretrained_tags_by_model(model_name)
    if not tags:
        return (f'open_clip knows no pretrained weights for {model_name!r}; give a file that '
                f'open_clip.create_model({model_name!r}, pretrained=FILE) loads')
    tag = 'openai' if 'openai' in tags else tags[0]
    cfg = open_clip.get_pretrained_cfg(model_name, tag)
    src = ([f"https://huggingface.co/{cfg['hf_hub'].strip('/')} (open_clip_pytorch_model.bin or "
            'open_clip_model.safetensors)'] if cfg.get('hf_hub') else []) + \
          ([cfg['url']] if cfg.get('url') and not cfg.get('hf_hub') else [])
    return (f"the {tag!r} weights of {model_name} ({', '.join(src)}); or, on a machine with internet: "
            f"python -c \"import open_clip, torch; m = open_clip.create_model('{model_name}', "
            f"pretrained='{tag}'); torch.save(m.state_dict(), 'clip.pt')\" and copy clip.pt here")


def load_open_clip(model_name: str, checkpoint: str | None, allow_random_weights: bool = False,
                   device: str = 'cpu', where: str = 'DenseClip') -> nn.Module:
    """An open_clip model from a local checkpoint (or random weights, for tests only).

    A missing checkpoint is a :class:`CheckpointError` naming the file and where to get it.
    The test-only ``'wsseg-tiny-clip'`` config (``wsseg/patch/model_configs``) is registered on demand.
    """
    import open_clip

    from wsseg.weak.clip_prompts import TINY_CONFIG_DIR
    if model_name not in open_clip.list_models():
        open_clip.add_model_config(TINY_CONFIG_DIR)
    if model_name not in open_clip.list_models():
        raise ValueError(f'{where}: open_clip has no model {model_name!r}; e.g. ViT-B-16-quickgelu, '
                         f'ViT-B-16, ViT-L-14')
    if checkpoint is None:
        if not allow_random_weights:
            raise CheckpointError(f'{where}({model_name!r}): no CLIP checkpoint given; pass checkpoint=<local '
                                  f'file>. Get {checkpoint_help(model_name)}. Random weights measure plumbing '
                                  'only: allow them for tests with allow_random_weights=True')
    else:
        path = Path(checkpoint).expanduser()
        if not path.is_file():
            raise CheckpointError(f'{where}: CLIP checkpoint not found: {path}. Get {checkpoint_help(model_name)}, '
                                  'and pass its local path as checkpoint.')
        checkpoint = str(path)
    model = open_clip.create_model(model_name, pretrained=checkpoint, device=device)
    return model.eval()


class DenseClip(nn.Module):
    """An open_clip CLIP model with a dense (MaskCLIP) image path.

    Args:
        clip: an open_clip ``CLIP`` / ``CustomTextCLIP`` whose ``visual`` is open_clip's own
            ``VisionTransformer`` (not timm, no attentional pooler).
        tokenizer: ``open_clip.get_tokenizer(model_name)``.
    """

    def __init__(self, clip: nn.Module, tokenizer):
        super().__init__()
        from open_clip.transformer import ResidualAttentionBlock, VisionTransformer
        visual = getattr(clip, 'visual', None)
        if not isinstance(visual, VisionTransformer):
            raise ValueError(f'DenseClip: needs an open_clip ViT image tower, got {type(visual).__name__}')
        if visual.attn_pool is not None or visual.final_ln_after_pool or visual.proj is None \
                or visual.pool_type not in ('tok', 'avg') or not visual.transformer.batch_first:
            raise ValueError('DenseClip: image towers with an attentional pooler, ln after pooling, no '
                             "projection, pool_type other than 'tok' / 'avg' or a sequence-first transformer "
                             'are not supported (MaskCLIP needs ln_post and proj per token)')
        last = visual.transformer.resblocks[-1]
        if not isinstance(last, ResidualAttentionBlock) or not last.attn._qkv_same_embed_dim:
            raise ValueError(f'DenseClip: the last block must be a ResidualAttentionBlock with a packed '
                             f'in_proj, got {type(last).__name__}')
        self.clip, self.tokenizer = clip, tokenizer
        cfg = getattr(visual, 'preprocess_cfg', None) or {}
        from open_clip.constants import OPENAI_DATASET_MEAN, OPENAI_DATASET_STD
        self.register_buffer('mean', torch.tensor(cfg.get('mean', OPENAI_DATASET_MEAN)).view(1, 3, 1, 1), False)
        self.register_buffer('std', torch.tensor(cfg.get('std', OPENAI_DATASET_STD)).view(1, 3, 1, 1), False)

    @property
    def visual(self) -> nn.Module:
        return self.clip.visual

    @property
    def patch_size(self) -> tuple[int, int]:
        return tuple(self.visual.patch_size)

    @property
    def logit_scale(self) -> torch.Tensor:
        return self.clip.logit_scale.exp()

    # ------------------------------------------------------------------ text
    @torch.no_grad()
    def text_embeddings(self, class_names: Sequence[str | Sequence[str]],
                        templates: Sequence[str] = TEMPLATES) -> torch.Tensor:
        """(K, D) unit text embeddings: class k is the normalised mean of the normalised
        embeddings of every template filled with every name of that class."""
        if not class_names or not templates:
            raise ValueError('DenseClip.text_embeddings: need at least one class and one template')
        bad = [t for t in templates if '{}' not in t]
        if bad:
            raise ValueError(f"DenseClip.text_embeddings: templates need a '{{}}' for the class name: {bad}")
        device = self.clip.logit_scale.device
        out = []
        for names in class_names:
            names = [names] if isinstance(names, str) else list(names)
            if not names:
                raise ValueError('DenseClip.text_embeddings: a class has no name')
            prompts = [t.format(n) for n in names for t in templates]
            emb = F.normalize(self.clip.encode_text(self.tokenizer(prompts).to(device)).float(), dim=-1)
            out.append(F.normalize(emb.mean(0), dim=-1))
        return torch.stack(out)

    # ------------------------------------------------------------------ image
    def normalise(self, images: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) RGB in [0, 1] -> CLIP's input normalisation."""
        return (images - self.mean) / self.std

    def positional_embedding(self, grid: tuple[int, int]) -> torch.Tensor:
        """(1 + h w, C): the class token's embedding and the patch grid's, resized bicubically
        to ``grid`` (h, w) when it differs from the model's own grid (as MaskCLIP does)."""
        v = self.visual
        pos = v.positional_embedding
        if tuple(grid) == tuple(v.grid_size):
            return pos
        gh, gw = v.grid_size
        grid_pos = pos[1:].reshape(1, gh, gw, -1).permute(0, 3, 1, 2)
        grid_pos = F.interpolate(grid_pos, tuple(grid), mode='bicubic', align_corners=False)
        return torch.cat([pos[:1], grid_pos.flatten(2).transpose(1, 2)[0]])

    def _tokens(self, x: torch.Tensor) -> tuple[torch.Tensor, tuple[int, int]]:
        """Patch embedding, class token, positional embedding, ln_pre: (B, 1 + h w, C) and (h, w)."""
        v = self.visual
        ph, pw = self.patch_size
        if x.shape[-2] % ph or x.shape[-1] % pw:
            raise ValueError(f'DenseClip: the input size {tuple(x.shape[-2:])} must be a multiple of the patch '
                             f'size {(ph, pw)}')
        grid = (x.shape[-2] // ph, x.shape[-1] // pw)
        if grid == tuple(v.grid_size):
            return v._embeds(x), grid
        x = v.conv1(x).flatten(2).transpose(1, 2)
        cls = v.class_embedding.to(x.dtype).view(1, 1, -1).expand(x.shape[0], -1, -1)
        return v.ln_pre(torch.cat([cls, x], 1) + self.positional_embedding(grid).to(x.dtype)), grid

    @staticmethod
    def value_path(block: nn.Module, x: torch.Tensor) -> torch.Tensor:
        """The last block without query-key attention: ``x + ls_1(out_proj(v)) `` then the MLP."""
        attn = block.attn
        c = x.shape[-1]
        w, b = attn.in_proj_weight[2 * c:], (None if attn.in_proj_bias is None else attn.in_proj_bias[2 * c:])
        v = F.linear(block.ln_1(x), w, b)
        y = x + block.ls_1(attn.out_proj(v))
        return y + block.ls_2(block.mlp(block.ln_2(y)))

    @torch.no_grad()
    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Normalised CLIP input (B, 3, H, W), H and W multiples of the patch size ->
        (image embedding (B, D), dense tokens (B, D, H / p, W / p)), neither normalised."""
        v = self.visual
        x, (gh, gw) = self._tokens(images)
        blocks = v.transformer.resblocks
        for blk in blocks[:-1]:
            x = blk(x)
        dense = self.value_path(blocks[-1], x)
        pooled, _ = v._pool(blocks[-1](x))
        dense = v.ln_post(dense[:, 1:]) @ v.proj
        return pooled @ v.proj, dense.transpose(1, 2).reshape(x.shape[0], -1, gh, gw)

    @torch.no_grad()
    def scores(self, images: torch.Tensor, text: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Logits ``logit_scale * cos`` against unit text embeddings (K, D): image level (B, K)
        and dense (B, K, H / p, W / p)."""
        pooled, dense = self(images)
        scale = self.logit_scale
        img = scale * F.normalize(pooled.float(), dim=-1) @ text.t()
        dense = scale * torch.einsum('bdhw,kd->bkhw', F.normalize(dense.float(), dim=1), text)
        return img, dense
