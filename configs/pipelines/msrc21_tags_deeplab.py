# MSRC-21 image tags end to end (real data, ../shared/data/msrc21; docs/methods/tags.md):
#   1. weak labels: the tags of each train image (simulated: the classes its mask shows);
#   2. pseudo-labels: the CAM classifier (configs/cam/msrc21_tags_cam.py) trained on the stored
#      tags, then its CAMs of each image's own tags (scales 0.4/0.6 + flips), pooled over
#      SLIC superpixels and thresholded at the train-calibrated confidence (255 below it; the
#      calibration of tools/bench_tags.py chose 0.0, i.e. no pixel left undecided, for the
#      200-iteration classifier of docs/benchmarks.md: its weak CAMs lose more right pixels
#      than wrong ones at any threshold);
#   3. quality of those pseudo-masks against the true train masks;
#   4. second stage: mmseg DeepLabV3+ R18 trained on the pseudo-masks;
#   5. its mIoU / mAcc / aAcc on the val split.
#   python tools/run_pipeline.py configs/pipelines/msrc21_tags_deeplab.py [--cfg-options data_root=...]
# msrc21_tags_m2f.py differs by the stage-2 line (mmseg Mask2Former R50) and its work_dir.
work_dir = 'work_dirs/pipelines/msrc21_tags_deeplab'
data_root = '../shared/data/msrc21'
train_split = dict(type='MSRC21Dataset', data_root='${data_root}', split='train')
stored = dict(type='LoadWeakLabels', sources=[dict(type='StoredWeakLabels', weak_dir='${weak_dir}')])

weak_labels = dict(dataset=train_split, sources=[dict(type='Tags', simulate=True)])

pseudo_labels = dict(
    # the benchmark's CAM classifier config, its tags read from stage 1 instead of simulated (its
    # LoadWeakLabels step becomes `stored`, its LoadMask goes; its augmentation stays its own)
    train=dict(config='configs/cam/msrc21_tags_cam.py', weak_loader=stored,
               cfg_options={'train_dataloader.dataset.data_root': '${data_root}',
                            'val_dataloader.dataset.data_root': '${data_root}'}),
    labeller=dict(type='CamPseudoLabeller',
                  model=dict(type='CamClassifier', num_classes=21, depth=18, output_stride=16),
                  scales=(0.4, 0.6), flip=True, fg_threshold=0.0, bg_threshold=0.0,
                  superpixels=dict(method='slic', params=dict(n_segments=300))),
    dataset=dict(train_split, pipeline=[dict(type='LoadImage'), stored,
                                        dict(type='PackSegInputs', target='none')]))

quality = dict(pictures=6)     # against the MSRC-21 train masks

stage2 = dict(config='configs/stage2/msrc21_pseudo.py',
              cfg_options={'train_dataloader.dataset.data_prefix.seg_map_path': '${pseudo_dir}',
                           'train_dataloader.dataset.data_root': '${data_root}',
                           'val_dataloader.dataset.data_root': '${data_root}',
                           'test_dataloader.dataset.data_root': '${data_root}'})

evaluate = dict()              # the stage-2 config's test split: MSRC-21 val
