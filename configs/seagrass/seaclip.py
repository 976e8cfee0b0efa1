# SeaCLIP: per-patch labels from zero-shot CLIP prompts (ClipPrompts), a ResNet-18 trained on them.
# Give the local open_clip weights in clip_checkpoint (e.g. ViT-B-32 'openai' saved to disk).
# Without weights (this workplace) the benchmark runs the test-only tiny config with
# allow_random_weights=True: chance-level labels, reported as such.
_base_ = ['./_base_.py']
clip_checkpoint = 'checkpoints/open_clip_vit_b32_openai.bin'
clip = dict(type='ClipPrompts', model_name='ViT-B-32', checkpoint=clip_checkpoint, grid=(5, 8))
train_pipeline = [dict(type='LoadImage'), dict(type='LoadWeakLabels', sources=[clip]),
                  dict(type='PatchRandomFlip', prob=0.5), dict(type='PackPatchInputs')]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
model = dict(label_source='weak')
