# Shared settings of the dense-loss rows (Tang et al. ECCV 2018 style, two-phase schedule):
# partial CE alone for the first `phase1_iters`, then the regularisers ramp in over `ramp_iters`.
# Weights from the indicative run in docs/methods/dense_losses.md (CRF 0.003-0.03 all helped;
# 1.0 over-smooths). CRF: bilateral kernel on the half-resolution grid of the 128x128 crop.
phase1_iters = 900      # 30% of the 3000-iteration CamVid schedule
ramp_iters = 300
crf_loss = dict(type='DenseCRFLoss', weight=0.01, sigma_rgb=15.0, sigma_xy=80.0, mode='downsample',
                scale_factor=0.5, radius=5, start_iter=phase1_iters, ramp_iters=ramp_iters)
entropy_loss = dict(type='EntropyLoss', weight=0.1, start_iter=phase1_iters, ramp_iters=ramp_iters)
