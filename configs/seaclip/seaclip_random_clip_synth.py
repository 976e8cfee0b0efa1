# SeaCLIP with a RANDOM-WEIGHT tiny CLIP (wsseg/patch/model_configs/wsseg-tiny-clip.json): no CLIP
# weights can be downloaded in this workplace, so this is what the benchmark runs. Its patch labels
# are uninformed (chance level): the row checks the pipeline and what the ensemble does with a
# useless member; it says nothing about SeaCLIP with real CLIP weights (configs/seaclip/seaclip_synth.py).
#   python tools/train.py configs/seaclip/seaclip_random_clip_synth.py
_base_ = ['./seaclip_synth.py']
clip = dict(type='ClipPrompts', model_name='wsseg-tiny-clip', checkpoint=None, allow_random_weights=True,
            grid=(5, 8))
train_pipeline = [dict(type='LoadImage'), {{_base_.train_truth}}, dict(type='LoadWeakLabels', sources=[clip]),
                  dict(type='PatchRandomFlip', prob=0.5), dict(type='PackPatchInputs')]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
