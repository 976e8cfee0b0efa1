"""SeaFeats pseudo-labels: class templates from image labels and the cosine rule.

Each epoch the template of class ``c`` is the mean of the L2-normalised patch features of
every image labelled ``c``. A patch of an image labelled ``c`` becomes background iff
``cos(f, T_bg) > cos(f, T_c)`` and ``cos(f, T_bg) > threshold`` (0.6 in the paper); otherwise
it takes ``c``. Every patch of a background image is background.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from tqdm import tqdm

from wsseg.registry import HOOKS


def accumulate_templates(feats: torch.Tensor, image_labels: torch.Tensor, num_classes: int,
                         sums: torch.Tensor | None = None, counts: torch.Tensor | None = None):
    """Add a batch's L2-normalised patch features (B, C, rows, cols) to per-class sums/counts."""
    b, c = feats.shape[:2]
    f = F.normalize(feats.detach().float(), dim=1).flatten(2)            # (B, C, P)
    if sums is None:
        sums = f.new_zeros(num_classes, c)
        counts = f.new_zeros(num_classes)
    onehot = F.one_hot(image_labels.long(), num_classes).to(f)           # (B, K)
    sums += onehot.t() @ f.sum(2)
    counts += onehot.sum(0) * f.shape[2]
    return sums, counts


def finish_templates(sums: torch.Tensor, counts: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Templates (K, C) = mean normalised feature per class, and which classes had any image."""
    valid = counts > 0
    return sums / counts.clamp_min(1)[:, None], valid


def compute_templates(feats: torch.Tensor, image_labels: torch.Tensor, num_classes: int):
    """Templates and validity of one set of frames (B, C, rows, cols) with image labels (B,)."""
    return finish_templates(*accumulate_templates(feats, image_labels, num_classes))


def seafeats_pseudo_labels(feats: torch.Tensor, image_labels: torch.Tensor, templates: torch.Tensor,
                           valid: torch.Tensor, background_index: int,
                           threshold: float = 0.6) -> torch.Tensor:
    """(B, rows, cols) pseudo-labels by the SeaFeats rule (see the module docstring).

    Without a background template (no background image seen) every patch of a labelled
    image takes the image's label.
    """
    f = F.normalize(feats.detach().float(), dim=1)                       # (B, C, r, c)
    t = F.normalize(templates.float(), dim=1)                            # (K, C)
    cos = torch.einsum('bchw,kc->bkhw', f, t)                            # (B, K, r, c)
    lab = image_labels.long().view(-1, 1, 1).expand(-1, *f.shape[-2:])
    cos_c = cos.gather(1, lab[:, None]).squeeze(1)
    cos_bg = cos[:, background_index]
    is_bg = (cos_bg > cos_c) & (cos_bg > threshold) & bool(valid[background_index])
    out = torch.where(is_bg, torch.full_like(lab, background_index), lab)
    return torch.where(lab == background_index, torch.full_like(lab, background_index), out)


@HOOKS.register_module()
class SeaFeatsTemplateHook(Hook):
    """Before each training epoch, recompute the model's class templates over the train set.

    Runs the model's ``features`` in eval mode (no gradients) over ``runner.train_dataloader``
    and calls ``model.set_templates``. Logs the share of foreground-image patches that the
    rule turns into background (``seafeats/bg_share``).
    """

    priority = 'NORMAL'

    def __init__(self, max_batches: int | None = None):
        self.max_batches = max_batches

    def before_train_epoch(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        self.update(model, runner.train_dataloader, runner)

    @torch.no_grad()
    def update(self, model, dataloader, runner=None) -> None:
        was_training = model.training
        model.eval()
        sums = counts = None
        feats_seen: list[tuple[torch.Tensor, torch.Tensor]] = []
        for i, batch in enumerate(tqdm(dataloader, desc='SeaFeats templates', leave=False,
                                       disable=None)):
            if self.max_batches is not None and i >= self.max_batches:
                break
            data = model.data_preprocessor(batch, False)
            labels = model.image_labels(data['data_samples'])
            feats = model.features(data['inputs'])
            sums, counts = accumulate_templates(feats, labels, model.num_classes, sums, counts)
            feats_seen.append((feats.cpu(), labels.cpu()))
        if sums is None:
            raise RuntimeError('SeaFeatsTemplateHook: the training dataloader yielded no batch')
        templates, valid = finish_templates(sums, counts)
        model.set_templates(templates, valid)
        fg_total = fg_bg = 0
        for feats, labels in feats_seen:
            pl = seafeats_pseudo_labels(feats, labels, templates.cpu(), valid.cpu(),
                                        model.background_index, model.threshold)
            fg = labels != model.background_index
            fg_total += int(fg.sum()) * pl[0].numel()
            fg_bg += int((pl[fg] == model.background_index).sum())
        share = fg_bg / max(fg_total, 1)
        model.last_bg_share = share
        if runner is not None:
            runner.message_hub.update_scalar('train/seafeats_bg_share', share)
            print_log(f'SeaFeats templates: classes seen {valid.int().tolist()}, share of foreground-'
                      f'image patches labelled background {share:.3f}', logger='current')
        model.train(was_training)
