# DenseCL-style pretraining on MSRC-21's 276 unlabelled train images (their tags and masks are
# not read), the trunk every SSL-init MSRC-21 row loads (configs/ssl/msrc21/).
#   python tools/pretrain_ssl.py configs/ssl/msrc21_densecl.py --work-dir work_dirs/ssl/msrc21_densecl
# 250 iterations (8000 views, 29 epochs): on CamVid the gain was mostly there by 250 of 500
# (docs/methods/ssl.md, budget curve), and this halves the CPU cost.
_base_ = ['./_base_.py']
max_iters = 250
budgets = (125, 250)
folders = ['../shared/data/msrc21/images/train']
train_dataloader = dict(dataset=dict(folders=folders, length=max_iters * 32))
train_cfg = dict(max_iters=max_iters)
param_scheduler = [dict(type='CosineAnnealingLR', T_max=max_iters, eta_min=1e-5, by_epoch=False)]
custom_hooks = [dict(type='SafeCheckpointHook'), dict(type='ExportTrunkHook', budgets=budgets)]
