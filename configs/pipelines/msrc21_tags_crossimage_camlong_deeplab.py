# msrc21_tags_crossimage_deeplab.py with the CAM classifier trained three times as long
# (configs/cam/msrc21_tags_cam_long.py: 1200 iterations instead of 400); the rest is the same.
#   python tools/run_pipeline.py configs/pipelines/msrc21_tags_crossimage_camlong_deeplab.py
_base_ = ['./msrc21_tags_crossimage_deeplab.py']
work_dir = 'work_dirs/pipelines/msrc21_tags_crossimage_camlong_deeplab'
pseudo_labels = dict(train=dict(config='configs/cam/msrc21_tags_cam_long.py'))
