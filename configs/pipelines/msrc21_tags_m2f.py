# msrc21_tags_deeplab.py with mmseg Mask2Former R50 as the second stage: the stage-2 config line
# below (and the work_dir naming the run). Stages 1-3 are the same; run it with
#   python tools/run_pipeline.py configs/pipelines/msrc21_tags_m2f.py
_base_ = ['./msrc21_tags_deeplab.py']
work_dir = 'work_dirs/pipelines/msrc21_tags_m2f'
stage2 = dict(config='configs/stage2/msrc21_pseudo_m2f.py')
