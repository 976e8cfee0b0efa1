# As camvid_tags_cam.py, with the seeds refined by the mean-field CRF (wsseg/refine/crf.py),
# choosing only among each image's tags; pixels whose refined top probability is below 0.5 stay
# undecided. Same classifier checkpoint:
#   python tools/pseudo_label.py configs/cam/camvid_tags_cam_crf.py \
#       --checkpoint work_dirs/camvid_tags_cam/iter_1000.pth
_base_ = ['./camvid_tags_cam.py']
pseudo_out_dir = 'work_dirs/camvid_tags_cam_crf/pseudo_masks'
pseudo_labeller = dict(crf=dict(_delete_=True, confidence=0.7, n_iters=5, threshold=0.5, keep_labelled=False))
