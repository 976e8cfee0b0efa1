# Second stage of the SSL tags row: as cam/camvid_tags_cam_stage2.py on the seeds of
# configs/ssl/camvid/tags_cam.py, DeepLabV3+ from the SSL trunk.
_base_ = ['../../cam/camvid_tags_cam_stage2.py', './_trunk_.py']
model = dict(net=dict(pretrained={{_base_.trunk}}))
train_dataloader = dict(dataset=dict(mask_dir='work_dirs/ssl_camvid_tags_cam/pseudo_masks'))
