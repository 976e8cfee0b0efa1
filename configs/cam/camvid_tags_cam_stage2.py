# Second stage of the tags row: DeepLabV3+ R18 (same network, schedule, crops and seed as every
# CamVid row) trained on the CAM seeds written by tools/pseudo_label.py (255 = undecided, left
# out by the partial CE), with the CRF and entropy regularisers for the undecided pixels.
# Use the CRF-refined seeds with:
#   --cfg-options train_dataloader.dataset.mask_dir=work_dirs/camvid_tags_cam_crf/pseudo_masks
_base_ = ['../camvid/_base_.py', '../rloss/_regularisers_.py']
pseudo_mask_dir = 'work_dirs/camvid_tags_cam/pseudo_masks'
model = dict(losses=[dict(type='PartialCrossEntropy'), {{_base_.crf_loss}}, {{_base_.entropy_loss}}])
train_dataloader = dict(dataset=dict(
    data_root='', split=None, img_dir='../shared/data/camvid/images/train', mask_dir=pseudo_mask_dir))
