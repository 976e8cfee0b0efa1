# msrc21_tags_crossimage_camms_deeplab.py with the narrower scale range of
# configs/cam/msrc21_tags_cam_ms_narrow.py (short side 96-160); the rest is the same.
#   python tools/run_pipeline.py configs/pipelines/msrc21_tags_crossimage_camms_narrow_deeplab.py
_base_ = ['./msrc21_tags_crossimage_camms_deeplab.py']
work_dir = 'work_dirs/pipelines/msrc21_tags_crossimage_camms_narrow_deeplab'
pseudo_labels = dict(train=dict(config='configs/cam/msrc21_tags_cam_ms_narrow.py'))
