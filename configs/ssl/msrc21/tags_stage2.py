# Second stage of the SSL-init MSRC-21 tags row: as msrc21/tags_stage2.py on the pseudo-masks of
# configs/ssl/msrc21/tags_cam.py, DeepLabV3+ from the SSL trunk.
_base_ = ['../../msrc21/tags_stage2.py', './_trunk_.py']
model = dict(net=dict(pretrained={{_base_.trunk}}))
train_dataloader = dict(dataset=dict(pseudo_mask_dir='work_dirs/tags/ssl_msrc21/masks/seeds'))
