# Synthetic seagrass frames (wsseg.datasets.synthetic.make_seagrass_frames): whole frames in
# class folders as DeepSeagrass, with true patch labels and pixel masks beside them.
#   python tools/bench_patch.py --data-only          writes them to work_dirs/seagrass_synth
# (40 train / 16 test frames of 232x130 px, a 5x8 grid of 26x29 px patches). Another copy:
#   SEAGRASS_SYNTH=/path/to/frames python tools/train.py ...   (mmengine's {{$VAR:default}})
data_root = '{{$SEAGRASS_SYNTH:work_dirs/seagrass_synth}}'
classes = ('Strappy', 'Ferny', 'Rounded', 'Background')      # csiro order, background last
# True train patch labels are loaded for monitoring only: PatchPseudoLabelHook scores the
# pseudo-labels against them; only label_source='truth' (the upper bound) trains on them.
train_truth = dict(type='LoadPatchTruth', source='npy', truth_dir=data_root + '/train/patch_labels')
train_pipeline = [dict(type='LoadImage'), train_truth, dict(type='PatchRandomFlip', prob=0.5),
                  dict(type='PackPatchInputs')]
test_pipeline = [dict(type='LoadImage'),
                 dict(type='LoadPatchTruth', source='npy', truth_dir=data_root + '/test/patch_labels'),
                 dict(type='PackPatchInputs')]
_frames = dict(type='DeepSeagrassFrames', class_order=classes, data_root=data_root)
train_dataloader = dict(batch_size=8, num_workers=0, persistent_workers=False,
                        sampler=dict(type='DefaultSampler', shuffle=True),
                        collate_fn=dict(type='pseudo_collate'),
                        dataset=dict(_frames, split='train/frames', pipeline=train_pipeline))
val_dataloader = dict(batch_size=8, num_workers=0, persistent_workers=False,
                      sampler=dict(type='DefaultSampler', shuffle=False),
                      collate_fn=dict(type='pseudo_collate'),
                      dataset=dict(_frames, split='test/frames', pipeline=test_pipeline))
test_dataloader = val_dataloader
# Per patch: accuracy, per-class / macro / weighted F1. Per pixel (the generator knows the pixel
# truth): patch mIoU, and pixel mIoU of the patch map painted, CRF-refined, superpixel-voted.
# Add SAM with --cfg-options val_evaluator.1.sam.type=vit_b val_evaluator.1.sam.checkpoint=PATH
val_evaluator = [dict(type='PatchMetric', classes=classes),
                 dict(type='PatchPixelMetric', classes=classes, mask_dir=data_root + '/test/pixel_masks')]
test_evaluator = val_evaluator
