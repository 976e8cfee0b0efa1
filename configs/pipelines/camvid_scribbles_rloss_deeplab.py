# CamVid end to end (real data, ../shared/data/camvid):
#   1. weak labels: 3% scribbles simulated from the train masks (seeded per image);
#   2. pseudo-labels: wsseg's DeepLabV3+ R18 trained on them with partial CE + dense CRF loss +
#      entropy (configs/rloss/camvid_scribbles_pce_crf_entropy.py, the benchmark schedule), then
#      its predictions on the train split, mean-field CRF refined, scribble pixels kept;
#   3. quality of those pseudo-masks against the true train masks;
#   4. second stage: mmseg DeepLabV3+ R18 trained on the pseudo-masks as if they were masks;
#   5. its mIoU on the val split.
#   python tools/run_pipeline.py configs/pipelines/camvid_scribbles_rloss_deeplab.py [--cfg-options data_root=...]
# Every stage is skipped when its outputs are complete and its inputs unchanged.
work_dir = 'work_dirs/pipelines/camvid_scribbles_rloss_deeplab'
data_root = '../shared/data/camvid'
train_split = dict(type='CamVidDataset', data_root='${data_root}', split='train')
stored = dict(type='LoadWeakLabels', sources=[dict(type='StoredWeakLabels', weak_dir='${weak_dir}')])

weak_labels = dict(dataset=train_split,
                   sources=[dict(type='Scribbles', simulate=True, coverage=0.03, seed=0)])

pseudo_labels = dict(
    # the row's own config, with its weak labels read from stage 1 instead of simulated (its
    # LoadWeakLabels step becomes `stored`, its LoadMask goes; its augmentation stays its own)
    train=dict(config='configs/rloss/camvid_scribbles_pce_crf_entropy.py', weak_loader=stored,
               cfg_options={'train_dataloader.dataset.data_root': '${data_root}',
                            'val_dataloader.dataset.data_root': '${data_root}'}),
    labeller=dict(type='NetworkPseudoLabeller', keep_weak=True, crf=dict(n_iters=5)),
    dataset=dict(train_split, pipeline=[dict(type='LoadImage'), stored,
                                        dict(type='PackSegInputs', target='none')]))

quality = dict(pictures=6)     # against the CamVid train masks

stage2 = dict(config='configs/stage2/camvid_pseudo.py',
              cfg_options={'train_dataloader.dataset.data_prefix.seg_map_path': '${pseudo_dir}',
                           'train_dataloader.dataset.data_root': '${data_root}',
                           'val_dataloader.dataset.data_root': '${data_root}',
                           'test_dataloader.dataset.data_root': '${data_root}'})

evaluate = dict()              # the stage-2 config's test split: CamVid val
