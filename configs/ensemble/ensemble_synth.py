# Test-time ensemble of SeaFeats (SimCLR init) and SeaCLIP on the synthetic seagrass frames:
# each member's logits standardised per frame, averaged, softmax (PatchEnsemble). Train the
# members first, save the assembled ensemble as one checkpoint, then test it:
#   python tools/train.py configs/seafeats/seafeats_simclr_synth.py
#   python tools/train.py configs/seaclip/seaclip_synth.py
#   python -m wsseg.patch.make_ensemble configs/ensemble/ensemble_synth.py work_dirs/ensemble_synth/ensemble.pth
#   python tools/test.py configs/ensemble/ensemble_synth.py work_dirs/ensemble_synth/ensemble.pth
# Other members: --cfg-options model.members.0.checkpoint=A.pth model.members.1.checkpoint=B.pth
# (for make_ensemble; tools/test.py then loads the saved ensemble).
_base_ = ['../_base_/datasets/seagrass_synth.py', '../_base_/models/patch_classifier.py']
_member = dict(type='PatchClassifier', num_classes=4, grid=(5, 8))
model = dict(_delete_=True, type='PatchEnsemble',
             members=[dict(model=dict(_member, label_source='seafeats'),
                           checkpoint='work_dirs/seafeats_simclr_synth/epoch_6.pth'),
                      dict(model=dict(_member, label_source='weak'),
                           checkpoint='work_dirs/seaclip_synth/epoch_6.pth')])
