# As cam/camvid_tags_cam.py (CAM classifier on image tags), from the SSL trunk. Its seeds:
#   python tools/pseudo_label.py configs/ssl/camvid/tags_cam.py --checkpoint work_dirs/ssl_camvid_tags_cam/iter_1000.pth
_base_ = ['../../cam/camvid_tags_cam.py', './_trunk_.py']
model = dict(pretrained={{_base_.trunk}})
pseudo_out_dir = 'work_dirs/ssl_camvid_tags_cam/pseudo_masks'
