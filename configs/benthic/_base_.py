# Seafloor frames composed from the real ROV patches of ../shared/data/benthic_patches (CoralNet
# point labels, 112x112, 25 classes): the DeepSeagrass stand-in (wsseg/datasets/benthic.py).
# A frame is a 5x8 grid; one dominant group fills a connected 20..32 of its 40 cells, substrate
# (SU_*) the rest; the image label is the dominant group, the patch truth is known. Each class's
# patches are split 60/20/20 into train/val/test (no patch in two splits). The frames are composed
# on first use into data_root (every split, atomically) and reused while the parameters match.
#
# The grouping is ONE line: 'morphotype' (Background = SU_*, Strappy = KE_*, Ferny = RE_fil /
# RE_branch / RE_bush, Rounded = RE_leaf / GR_ulva), 'classes' (every class folder its own group;
# the smallest hold 2 test patches, so also lower `dominant`, or the composition stops and says
# so), or a dict {group: [class patterns]} (its keys are the classes, background last).
grouping = 'morphotype'
_presets = dict(morphotype=('Strappy', 'Ferny', 'Rounded', 'Background'),
                classes=('BR_encrust', 'BR_fucus', 'BR_sarg', 'GR_ulva', 'KE_5rib', 'KE_holdfas', 'KE_sieve',
                         'KE_stipe', 'KE_sugar', 'MS', 'RE_CCA', 'RE_branch', 'RE_bush', 'RE_fil', 'RE_leaf', 'SI',
                         'SI_kelpBry', 'SU_anth', 'SU_bould', 'SU_cob', 'SU_peb', 'SU_sand', 'SU_shell', 'SU_silt',
                         'unknown'))
classes = _presets[grouping] if isinstance(grouping, str) else tuple(grouping)
# Cells of 32 px (the 112 px patches downscaled) keep a ResNet-18 row within minutes on one CPU
# thread (a 560x896 frame costs 20x more); patch_size=112 composes them at full size.
composition = dict(grouping=grouping, fill=('SU_*',), splits=dict(train=0.6, val=0.2, test=0.2),
                   frames_per_group=dict(train=24, val=8, test=12), dominant=(20, 32), grid=(5, 8),
                   patch_size=32, seed=0)
patch_root = '../shared/data/benthic_patches'
data_root = '{{$BENTHIC_FRAMES:work_dirs/benthic_frames}}'
# Rows are scored on the test split (nothing here is tuned: the budget is the synthetic
# benchmark's); the val split is composed for those who tune (split='val').
eval_split = 'test'
_frames = dict(type='BenthicFrames', patch_root=patch_root, data_root=data_root, composition=composition)
train_truth = dict(type='LoadPatchTruth', source='npy', truth_dir=data_root + '/train/patch_labels')
train_pipeline = [dict(type='LoadImage'), train_truth, dict(type='PatchRandomFlip', prob=0.5),
                  dict(type='PackPatchInputs')]
test_pipeline = [dict(type='LoadImage'),
                 dict(type='LoadPatchTruth', source='npy', truth_dir=f'{data_root}/{eval_split}/patch_labels'),
                 dict(type='PackPatchInputs')]
train_dataloader = dict(batch_size=8, num_workers=0, persistent_workers=False,
                        sampler=dict(type='DefaultSampler', shuffle=True),
                        collate_fn=dict(type='pseudo_collate'),
                        dataset=dict(_frames, split='train', pipeline=train_pipeline))
val_dataloader = dict(batch_size=8, num_workers=0, persistent_workers=False,
                      sampler=dict(type='DefaultSampler', shuffle=False),
                      collate_fn=dict(type='pseudo_collate'),
                      dataset=dict(_frames, split=eval_split, pipeline=test_pipeline))
test_dataloader = val_dataloader
# Per patch: accuracy, per-class / macro / weighted F1. Per pixel: the patch truth painted to
# pixels (pixel_masks/), against the patch map painted, CRF-refined and superpixel-voted.
val_evaluator = [dict(type='PatchMetric', classes=classes),
                 dict(type='PatchPixelMetric', classes=classes, mask_dir=f'{data_root}/{eval_split}/pixel_masks')]
test_evaluator = val_evaluator
_base_ = ['../_base_/models/patch_classifier.py']
# Uniform class weights: the composition balances the frame labels (the paper's weights answer
# DeepSeagrass's imbalance). Background is the last group in every preset.
model = dict(num_classes=len(classes), class_weights=None, grid=(5, 8))
