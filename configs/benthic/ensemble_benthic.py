# Test-time ensemble of SeaFeats (SimCLR init) and SeaCLIP (random CLIP: chance) on the benthic
# frames: each member's logits standardised per frame, averaged, softmax (PatchEnsemble).
#   python -m wsseg.patch.make_ensemble configs/benthic/ensemble_benthic.py work_dirs/ensemble_benthic/ensemble.pth
#   python tools/test.py configs/benthic/ensemble_benthic.py work_dirs/ensemble_benthic/ensemble.pth
_base_ = ['./_base_.py']
_member = dict(type='PatchClassifier', num_classes={{_base_.model.num_classes}}, grid=(5, 8))
model = dict(_delete_=True, type='PatchEnsemble',
             members=[dict(model=dict(_member, label_source='seafeats'),
                           checkpoint='work_dirs/seafeats_simclr_benthic/epoch_6.pth'),
                      dict(model=dict(_member, label_source='weak'),
                           checkpoint='work_dirs/seaclip_random_clip_benthic/epoch_6.pth')])
