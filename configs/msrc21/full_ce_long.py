# The plateau check of the reference: full_ce.py on twice the schedule (same poly shape). If it
# ends near full_ce.py, the weak rows' 1000 iterations do not flatter them.
_base_ = ['./full_ce.py']
max_iters = 2000
train_cfg = dict(max_iters=max_iters, val_interval=500)
param_scheduler = [dict(type='PolyLR', eta_min=1e-5, power=0.9, begin=0, end=max_iters, by_epoch=False)]
