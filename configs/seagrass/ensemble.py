# Test-time ensemble of SeaFeats and SeaCLIP: standardised logits, averaged, softmax.
# Save the ensemble's checkpoint from its members, then test it:
#   python -m wsseg.patch.make_ensemble configs/seagrass/ensemble.py work_dirs/ensemble/ensemble.pth
#   python tools/test.py configs/seagrass/ensemble.py work_dirs/ensemble/ensemble.pth
_base_ = ['./_base_.py']
_member = dict(type='PatchClassifier', num_classes=4, grid=(5, 8))
model = dict(_delete_=True, type='PatchEnsemble',
             members=[dict(model=dict(_member, label_source='seafeats'),
                           checkpoint='work_dirs/seafeats_simclr_init/epoch_8.pth'),
                      dict(model=dict(_member, label_source='weak'),
                           checkpoint='work_dirs/seaclip/epoch_8.pth')])
