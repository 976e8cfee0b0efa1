# camvid_densecl.py on a 2x budget (1000 iterations, the same cosine decay stretched over them):
# the longer-pretraining point of the budget curve at the 3000-iteration fine-tuning schedule.
# (32: the batch size of _base_.py; a base variable cannot enter an expression here)
#   python tools/pretrain_ssl.py configs/ssl/camvid_densecl_1000.py --work-dir work_dirs/ssl/camvid_densecl_1000
_base_ = ['./camvid_densecl.py']
max_iters = 1000
budgets = (250, 500, 1000)
train_dataloader = dict(dataset=dict(length=max_iters * 32))
train_cfg = dict(max_iters=max_iters)
param_scheduler = [dict(type='CosineAnnealingLR', T_max=max_iters, eta_min=1e-5, by_epoch=False)]
custom_hooks = [dict(type='SafeCheckpointHook'), dict(type='ExportTrunkHook', budgets=budgets)]
