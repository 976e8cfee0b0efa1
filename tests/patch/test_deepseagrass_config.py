"""The real-DeepSeagrass config on a generated fixture: frames train, patch folders test (1x1 grid)."""
from __future__ import annotations

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from PIL import Image

from wsseg.evaluation.patch_metric import PatchMetric
from wsseg.registry import DATASETS, MODELS


def fake_deepseagrass(root, classes, seed: int = 0, per_class: int = 2) -> None:
    """The release's layout with small stand-ins for its 4624x2600 frames and 578x520 patches."""
    rng = np.random.default_rng(seed)
    for j, cls in enumerate(classes):
        for i in range(per_class):
            for path, shape in ((root / 'SeparatedIntoClasses' / 'Images' / cls / f'DSC{i}{cls[0]}.JPG', (65, 116, 3)),
                                (root / 'DeepSeagrass-Test' / cls / f'Image{j}_Row1_Col{i}.jpg', (52, 58, 3))):
                path.parent.mkdir(parents=True, exist_ok=True)
                Image.fromarray(rng.integers(0, 255, shape, dtype=np.uint8)).save(path)


def test_patch_folder_test_pipeline_with_a_frame_model(tmp_path, repo_root):
    root = tmp_path / 'DeepSeagrass'
    fake_deepseagrass(root, ('Strappy', 'Background'))
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


def test_deepseagrass_config_trains_and_tests_through_the_tools(tmp_path, repo_root):
    """Frames with image labels train (5x9 grid), labelled patch folders test (1x1 grid)."""
    from tools.test import main as run_test
    from tools.train import main as run_train
    root = tmp_path / 'DeepSeagrass'
    fake_deepseagrass(root, ('Strappy', 'Ferny', 'Background'), seed=1)
    config = str(repo_root / 'configs/seafeats/seafeats_deepseagrass.py')
    opts = ['train_cfg.max_epochs=1', 'train_cfg.val_interval=1', 'default_hooks.checkpoint.interval=1',
            'default_hooks.checkpoint.save_optimizer=False', 'model.init_checkpoint=None',
            f'train_dataloader.dataset.data_root={root}/SeparatedIntoClasses/Images',
            f'val_dataloader.dataset.data_root={root}/DeepSeagrass-Test',
            f'test_dataloader.dataset.data_root={root}/DeepSeagrass-Test']
    opts += [f'{k}_dataloader.{o}' for k in ('train', 'val', 'test') for o in ('num_workers=0', 'persistent_workers=False')]
    run_train([config, '--work-dir', str(tmp_path / 'wd'), '--cfg-options', *opts])
    labels = sorted((tmp_path / 'wd' / 'pseudo_labels').glob('*.npy'))
    assert len(labels) == 6 and all(np.load(f).shape == (5, 9) for f in labels)
    metrics = run_test([config, str(tmp_path / 'wd' / 'epoch_1.pth'), '--work-dir', str(tmp_path / 'test'),
                        '--cfg-options', *opts])
    assert {'accuracy', 'macro_F1', 'F1.Strappy'} <= set(metrics)
    assert len(list((tmp_path / 'test' / 'patch_maps').glob('*.png'))) == 6
