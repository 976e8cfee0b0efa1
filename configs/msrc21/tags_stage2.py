# Second stage of the MSRC-21 tags row: the benchmark network and schedule (./_base_.py) trained
# on the refined CAM pseudo-masks of tools/bench_tags.py (255 = undecided). Loss that tolerates
# noise: partial CE on the decided (confident) pixels + the dense CRF loss (Tang et al. 2018)
# over every pixel, which pulls undecided pixels to the colours and classes around them.
#   python tools/train.py configs/msrc21/tags_stage2.py \
#       --cfg-options train_dataloader.dataset.pseudo_mask_dir=work_dirs/tags/msrc21/masks/crf
# A train image without a pseudo-mask stops the run with the list of missing ids
# (train_dataloader.dataset.bad_data=skip leaves them out and lists them).
_base_ = ['./_base_.py']
custom_imports = dict(imports=['wsseg.datasets', 'wsseg.weak', 'wsseg.models', 'wsseg.losses',
                               'wsseg.evaluation', 'wsseg.engine', 'wsseg.stage2.pseudo_masks'],
                      allow_failed_imports=False)
pseudo_mask_dir = 'work_dirs/tags/msrc21/masks/superpixels'
train_dataloader = dict(dataset=dict(
    _delete_=True, type='PseudoMaskFolder', pseudo_mask_dir=pseudo_mask_dir,
    data_root={{_base_.data_root}}, split='train', classes={{_base_.classes}},
    pipeline={{_base_.train_pipeline}}))
# partial CE alone for the first 30% of the schedule, then the CRF loss ramps in (as the CamVid
# dense-loss rows, configs/rloss/_regularisers_.py, scaled to 1000 iterations)
crf_loss = dict(type='DenseCRFLoss', weight=0.01, sigma_rgb=15.0, sigma_xy=80.0, mode='downsample',
                scale_factor=0.5, radius=5, start_iter=300, ramp_iters=100)
model = dict(losses=[dict(type='PartialCrossEntropy'), crf_loss])
