# As cam/msrc21_tags_cam.py (CAM classifier on MSRC-21 image tags), from the SSL trunk.
#   python tools/train.py configs/ssl/msrc21/tags_cam.py --work-dir work_dirs/ssl_msrc21_tags_cam
# Its pseudo-masks, step by step:
#   python tools/bench_tags.py configs/ssl/msrc21/tags_cam.py \
#       --checkpoint work_dirs/ssl_msrc21_tags_cam/iter_400.pth --out work_dirs/tags/ssl_msrc21
_base_ = ['../../cam/msrc21_tags_cam.py', './_trunk_.py']
model = dict(pretrained={{_base_.trunk}})
