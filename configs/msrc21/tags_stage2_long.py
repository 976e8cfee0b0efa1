# The plateau check of the tags row: tags_stage2.py on twice the schedule (the CRF loss still
# enters at 30% of it). Compared with full_ce_long.py, it says whether the tags rows' ratio to
# the reference is an artefact of the 1000-iteration schedule.
_base_ = ['./tags_stage2.py']
max_iters = 2000
train_cfg = dict(max_iters=max_iters, val_interval=500)
param_scheduler = [dict(type='PolyLR', eta_min=1e-5, power=0.9, begin=0, end=max_iters, by_epoch=False)]
crf_loss = dict(_base_.crf_loss, start_iter=600, ramp_iters=200)
model = dict(losses=[dict(type='PartialCrossEntropy'), crf_loss])
