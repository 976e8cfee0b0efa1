# SeaCLIP on the synthetic seagrass frames: per-patch labels from zero-shot CLIP prompts
# (ClipPrompts: the paper's 5 background and 6 seagrass prompts, a 5x8 grid), and a ResNet-18
# patch classifier trained on them. Give the local open_clip ViT-B-32 weights in clip_checkpoint;
# without the file, training stops with an error naming it.
#   python tools/train.py configs/seaclip/seaclip_synth.py
#   python tools/test.py configs/seaclip/seaclip_synth.py work_dirs/seaclip_synth/epoch_6.pth
_base_ = ['../_base_/datasets/seagrass_synth.py', '../_base_/models/patch_classifier.py']
clip_checkpoint = 'checkpoints/open_clip_vit_b32_openai.bin'
clip = dict(type='ClipPrompts', model_name='ViT-B-32', checkpoint=clip_checkpoint, grid=(5, 8))
train_pipeline = [dict(type='LoadImage'), {{_base_.train_truth}}, dict(type='LoadWeakLabels', sources=[clip]),
                  dict(type='PatchRandomFlip', prob=0.5), dict(type='PackPatchInputs')]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
model = dict(label_source='weak')
