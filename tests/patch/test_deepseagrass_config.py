"""The real-DeepSeagrass config on a generated fixture: frames train, patch folders test (1x1 grid)."""
from __future__ import annotations


import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from PIL import Image

from wsseg.evaluation.patch_metric import PatchMetric
from wsseg.registry import DATASETS, MODELS


def test_patch_folder_test_pipeline_with_a_frame_model(tmp_path, repo_root):
    rng = np.random.default_rng(0)
    root = tmp_path / 'DeepSeagrass'
    for cls in ('Strappy', 'Background'):         # small stand-ins for 4624x2600 frames / 578x520 patches
        for i in range(2):
            p = root / 'SeparatedIntoClasses' / 'Images' / cls / f'DSC{i}{cls[0]}.JPG'
            p.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(rng.integers(0, 255, (65, 116, 3), dtype=np.uint8)).save(p)
            q = root / 'DeepSeagrass-Test' / cls / f'Image{i}_Row1_Col{i}.jpg'
            q.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(rng.integers(0, 255, (52, 58, 3), dtype=np.uint8)).save(q)
    cfg = Config.fromfile(str(repo_root / 'configs/seafeats/seafeats_deepseagrass.py'))
    for key in ('train_dataloader', 'test_dataloader'):
        cfg[key].dataset.data_root = cfg[key].dataset.data_root.replace('data/DeepSeagrass', str(root))
    train = DATASETS.build(cfg.train_dataloader.dataset)
    assert sorted(train.get_data_info(i)['image_label'] for i in range(len(train))) == [0, 0, 3, 3]
    test = DATASETS.build(cfg.test_dataloader.dataset)
    model = MODELS.build(dict(cfg.model, init_checkpoint=None)).eval()
    assert model.grid == (5, 9)
    frame = model.data_preprocessor(pseudo_collate([train[0]]), False)
    assert model(frame['inputs']).shape == (1, 4, 5, 9)
    out = model.test_step(pseudo_collate([test[i] for i in range(len(test))]))
    assert all(s.pred_label.shape == (1, 1) for s in out)
    metric = PatchMetric(classes=cfg.classes)
    metric.process(None, out)
    scores = metric.compute_metrics(metric.results)
    assert 0 <= scores['accuracy'] <= 100 and int(metric.last_confusion.sum()) == 4
    assert torch.equal(torch.stack([s.gt_label for s in out]).flatten(), torch.tensor([3, 3, 0, 0]))
