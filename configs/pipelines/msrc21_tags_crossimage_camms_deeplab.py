# msrc21_tags_crossimage_camlong_deeplab.py with the CAM classifier trained at several scales
# (configs/cam/msrc21_tags_cam_ms.py: short side 64-192 instead of 128); the rest is the same.
#   python tools/run_pipeline.py configs/pipelines/msrc21_tags_crossimage_camms_deeplab.py
_base_ = ['./msrc21_tags_crossimage_camlong_deeplab.py']
work_dir = 'work_dirs/pipelines/msrc21_tags_crossimage_camms_deeplab'
pseudo_labels = dict(train=dict(config='configs/cam/msrc21_tags_cam_ms.py'))
