# msrc21_tags_crossimage_camlong_deeplab.py with the CAM classifier trained at several scales
# (configs/cam/msrc21_tags_cam_ms.py: short side 64-192 instead of 128); the rest is the same.
# The chain replaces the classifier's training pipeline (its tags come from stage 1), so the
# multi-scale step is restated here.
#   python tools/run_pipeline.py configs/pipelines/msrc21_tags_crossimage_camms_deeplab.py
_base_ = ['./msrc21_tags_crossimage_camlong_deeplab.py']
work_dir = 'work_dirs/pipelines/msrc21_tags_crossimage_camms_deeplab'
pseudo_labels = dict(train=dict(
    config='configs/cam/msrc21_tags_cam_ms.py',
    cfg_options={'train_dataloader.dataset.pipeline': [
        dict(type='LoadImage'), {{_base_.stored}}, dict(type='RandomResize', short_side=(64, 192)),
        dict(type='RandomFlip', prob=0.5), dict(type='PackSegInputs', target='none')]}))
