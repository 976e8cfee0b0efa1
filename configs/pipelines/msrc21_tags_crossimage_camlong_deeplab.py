# msrc21_tags_crossimage_deeplab.py with the CAM classifier trained three times as long
# (configs/cam/msrc21_tags_cam_long.py: 1200 iterations instead of 400), and its CAMs taken at a
# third scale (0.4 + 0.6 + 0.8 instead of 0.4 + 0.6: +1.6 and +3.0 stage-2 val mIoU on two
# classifier seeds, docs/benchmarks.md); the rest is the same.
#   python tools/run_pipeline.py configs/pipelines/msrc21_tags_crossimage_camlong_deeplab.py
_base_ = ['./msrc21_tags_crossimage_deeplab.py']
work_dir = 'work_dirs/pipelines/msrc21_tags_crossimage_camlong_deeplab'
pseudo_labels = dict(train=dict(config='configs/cam/msrc21_tags_cam_long.py'),
                     labeller=dict(scales=(0.4, 0.6, 0.8)))
