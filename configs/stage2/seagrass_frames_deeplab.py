# Second stage of the seagrass pipeline: a prompt-free pixel network, wsseg's DeepLabV3+ R18
# (random init), trained on pixel pseudo-masks of whole frames (255 = undecided, left out of
# the partial CE) and validated on frames with pixel truth (the synthetic frames have it; the
# real DeepSeagrass has none). Frames stay in DeepSeagrass's class folders: mask_dir maps a
# frame's stem to <mask_dir>/<stem>.png, so this is a wsseg config rather than an mmseg one.
_base_ = ['../_base_/default_runtime.py', '../_base_/schedules/iters.py',
          '../_base_/models/deeplabv3plus_r18.py']
data_root = '{{$SEAGRASS_SYNTH:work_dirs/seagrass_synth}}'
classes = ('Strappy', 'Ferny', 'Rounded', 'Background')
num_classes = len(classes)
max_iters = 1000
crop_size = (128, 128)
model = dict(net=dict(num_classes=num_classes), train_autocast='bfloat16')
optim_wrapper = dict(optimizer=dict(_delete_=True, type='AdamW', lr=1e-3, weight_decay=1e-4))
train_pipeline = [dict(type='LoadImage'), dict(type='LoadMask'), dict(type='RandomCrop', size=crop_size),
                  dict(type='RandomFlip', prob=0.5), dict(type='PackSegInputs', target='gt')]
test_pipeline = [dict(type='LoadImage'), dict(type='LoadMask'), dict(type='PackSegInputs', target='none')]
_frames = dict(type='DeepSeagrassFrames', class_order=classes, data_root=data_root)
train_dataloader = dict(batch_size=8, num_workers=1, persistent_workers=False,
                        sampler=dict(type='InfiniteSampler', shuffle=True),
                        collate_fn=dict(type='pseudo_collate'),
                        dataset=dict(_frames, split='train/frames', mask_dir='PSEUDO_MASKS',
                                     pipeline=train_pipeline))
val_dataloader = dict(batch_size=4, num_workers=1, persistent_workers=False,
                      sampler=dict(type='DefaultSampler', shuffle=False),
                      collate_fn=dict(type='pseudo_collate'),
                      dataset=dict(_frames, split='test/frames', mask_dir=data_root + '/test/pixel_masks',
                                   pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='SegIoUMetric', num_classes=num_classes, classes=classes)
test_evaluator = val_evaluator
train_cfg = dict(max_iters=max_iters, val_interval=500)
param_scheduler = [dict(type='PolyLR', eta_min=1e-5, power=0.9, begin=0, end=max_iters, by_epoch=False)]
