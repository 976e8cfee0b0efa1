# camvid_dense_clip.py with a RANDOM-WEIGHT tiny CLIP (wsseg/patch/model_configs/wsseg-tiny-clip.json):
# no CLIP weights can be downloaded in this workplace, so this runs the labeller end to end and
# measures plumbing only; its masks are noise within each image's tags and say nothing about
# dense CLIP with real weights.
#   python tools/pseudo_label.py configs/dense_clip/camvid_dense_clip_random.py
_base_ = ['./camvid_dense_clip.py']
pseudo_out_dir = 'work_dirs/camvid_dense_clip_random/pseudo_masks'
pseudo_labeller = dict(model_name='wsseg-tiny-clip', checkpoint=None, allow_random_weights=True, short_side=64)
