"""``PatchPseudoLabelHook``: write the patch pseudo-labels a model trains on, and score them.

Before the last training epoch (after ``SeaFeatsTemplateHook`` has set that epoch's templates)
the hook passes once over the training frames, without the random flips, and asks the model for
its training targets (``PatchClassifier.targets``: SeaFeats template labels, per-patch weak
labels such as SeaCLIP's, or the image label on every patch). It writes them as
``<out_dir>/<img_id>.npy`` ((rows, cols) int64) and, where the frames carry true patch labels
(``LoadPatchTruth`` in the train pipeline), logs their quality against them:
``pseudo/accuracy``, ``pseudo/macro_F1``, ``pseudo/mIoU`` (percent) and ``pseudo/fg_share``
(the share of a foreground frame's patches that keep the frame's class).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from mmengine.dataset import pseudo_collate
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper

from wsseg.evaluation.confusion import confusion_matrix, scores_from_confusion
from wsseg.registry import HOOKS

from .data import PatchRandomFlip


def unflipped_samples(dataset, batch_size: int = 8):
    """Batches of a dataset's samples through its own pipeline minus ``PatchRandomFlip``.

    The pipeline's transform objects are reused, so a weak-label source keeps its state (e.g.
    ``ClipPrompts``' model and label cache).
    """
    steps = [t for t in dataset.pipeline.transforms if not isinstance(t, PatchRandomFlip)]
    batch = []
    for i in range(len(dataset)):
        results = dataset.get_data_info(i)
        for t in steps:
            results = t(results)
        batch.append(results)
        if len(batch) == batch_size:
            yield pseudo_collate(batch)
            batch = []
    if batch:
        yield pseudo_collate(batch)


@torch.no_grad()
def collect_pseudo_labels(model, dataset, batch_size: int = 8) -> tuple[dict, np.ndarray | None, float]:
    """``{img_id: (rows, cols) targets}``, the confusion against true patch labels (or None)
    and the foreground share, for every sample of ``dataset``."""
    was_training = model.training
    model.eval()
    labels, cm, fg_kept, fg_total = {}, None, 0, 0
    k, bg = model.num_classes, model.background_index
    for batch in unflipped_samples(dataset, batch_size):
        data = model.data_preprocessor(batch, False)
        samples = data['data_samples']
        targets = model.targets(model.features(data['inputs'], model._grid_of(samples)), samples).cpu()
        for s, t in zip(samples, targets):
            labels[s.img_id] = t.numpy().astype(np.int64)
            if s.image_label is not None and s.image_label != bg:
                fg_kept += int((t == s.image_label).sum())
                fg_total += t.numel()
            if s.gt_label is not None:
                c = confusion_matrix(t, s.gt_label.cpu(), k)
                cm = c if cm is None else cm + c
    model.train(was_training)
    return labels, cm, fg_kept / max(fg_total, 1)


@HOOKS.register_module()
class PatchPseudoLabelHook(Hook):
    """See the module docstring. ``out_dir`` defaults to ``<work_dir>/pseudo_labels``;
    ``every_epoch=True`` runs before every epoch instead of only the last."""

    priority = 'LOW'     # after SeaFeatsTemplateHook (NORMAL) has set the epoch's templates

    def __init__(self, out_dir: str | None = None, every_epoch: bool = False, batch_size: int = 8):
        self.out_dir, self.every_epoch, self.batch_size = out_dir, every_epoch, batch_size

    def before_train_epoch(self, runner) -> None:
        if not self.every_epoch and runner.epoch + 1 < runner.max_epochs:
            return
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        labels, cm, fg_share = collect_pseudo_labels(model, runner.train_dataloader.dataset, self.batch_size)
        out = Path(self.out_dir or Path(runner.work_dir) / 'pseudo_labels')
        out.mkdir(parents=True, exist_ok=True)
        for fid, lab in labels.items():
            np.save(out / f'{fid}.npy', lab)
        scores = {'pseudo/fg_share': fg_share}
        if cm is not None:
            s = scores_from_confusion(cm)
            scores.update({'pseudo/accuracy': 100 * float(s['aAcc']),
                           'pseudo/macro_F1': 100 * float(s['macro_F1']), 'pseudo/mIoU': 100 * float(s['mIoU'])})
        runner.visualizer.add_scalars(scores, step=runner.iter)
        print_log(f'patch pseudo-labels of {len(labels)} frames in {out}: '
                  + ', '.join(f'{k} {v:.3f}' for k, v in scores.items()), logger='current')
