# msrc21_tags_deeplab.py with refinement (d) as the pseudo-labeller: the CAMs of each image's tags
# start a superpixel classifier trained over all train images at once (hard EM; CrossImageCamLabeller,
# docs/methods/tags.md section 4 (d)), instead of CAMs pooled over each image's own superpixels.
# Every pixel is decided (one of its image's tags). Stages 1, 3-5 are the same; run it with
#   python tools/run_pipeline.py configs/pipelines/msrc21_tags_crossimage_deeplab.py
_base_ = ['./msrc21_tags_deeplab.py']
work_dir = 'work_dirs/pipelines/msrc21_tags_crossimage_deeplab'
pseudo_labels = dict(
    labeller=dict(_delete_=True, type='CrossImageCamLabeller',
                  model=dict(type='CamClassifier', num_classes=21, depth=18, output_stride=16),
                  scales=(0.4, 0.6), flip=True, n_segments=300, feature_scale=1.0,
                  rounds=5, folds=2, cam_weight=0.5))
