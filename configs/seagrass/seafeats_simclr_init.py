# SeaFeats with the trunk initialised by SimCLR on the domain's own unlabelled frames:
#   python tools/pretrain_simclr.py work_dirs/seagrass_synth/train/frames --out work_dirs/simclr_seagrass.pth
_base_ = ['./_base_.py']
model = dict(init_checkpoint='work_dirs/simclr_seagrass.pth', init_kind='SimCLR')
custom_hooks = [dict(type='SetIterationHook'), dict(type='SafeCheckpointHook'),
                dict(type='SeaFeatsTemplateHook'), dict(type='SavePatchMapsHook')]
