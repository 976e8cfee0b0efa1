# SeaCLIP with a RANDOM-WEIGHT tiny CLIP (no CLIP weights can be downloaded here): its patch labels
# are uninformed, so the row is CHANCE by construction. It checks the pipeline and shows what the
# ensemble does with a chance-level member. With real weights set model_name='ViT-B-32' and
# checkpoint=<local open_clip file>, allow_random_weights=False.
#   python tools/train.py configs/benthic/seaclip_random_clip_benthic.py
_base_ = ['./_base_.py']
clip = dict(type='ClipPrompts', model_name='wsseg-tiny-clip', checkpoint=None, allow_random_weights=True,
            grid=(5, 8),
            background_prompts=('a photo of sand', 'a photo of rocks', 'a photo of pebbles on the seafloor',
                                'a photo of gravel and shells', 'a blurry photo of the seafloor'),
            foreground_prompts=('a photo of kelp', 'a photo of seaweed', 'a photo of red algae',
                                'a photo of green algae', 'a photo of underwater plants'))
train_pipeline = [dict(type='LoadImage'), {{_base_.train_truth}}, dict(type='LoadWeakLabels', sources=[clip]),
                  dict(type='PatchRandomFlip', prob=0.5), dict(type='PackPatchInputs')]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
model = dict(label_source='weak')
