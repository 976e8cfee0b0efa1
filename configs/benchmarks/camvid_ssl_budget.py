# Issue 11's pretraining budget at the 3000-iteration schedule: full CE from random init (0), from
# the 500-iteration DenseCL trunk (the camvid_ssl matrix's) and from a 1000-iteration one
# (configs/ssl/camvid_densecl_1000.py: twice the iterations, the same cosine decay stretched over
# them), each on training seeds 0 and 1. Rows named as in camvid_ssl reuse its results.
#   python tools/benchmark.py --matrix configs/benchmarks/camvid_ssl_budget.py
dataset = 'CamVid (240x180, 367 train / 101 val)'
reference = 'full_ce'
budget = ('Every row: full masks, CE, 3000 iterations, the same network and schedule; training seed 0 '
          'except *_seed1; the trunk: random weights, or DenseCL-style pretraining on the 367 unlabelled '
          'train frames for 500 (ssl_*) or 1000 (ssl1000_*) iterations.')
_seed1 = ['--cfg-options', 'randomness.seed=1']
_trunk = [['tools/pretrain_ssl.py', 'configs/ssl/camvid_densecl.py', '--work-dir', 'work_dirs/ssl/camvid_densecl']]
_trunk1000 = [['tools/pretrain_ssl.py', 'configs/ssl/camvid_densecl_1000.py', '--work-dir', 'work_dirs/ssl/camvid_densecl_1000']]
_init1000 = 'model.net.pretrained=work_dirs/ssl/camvid_densecl_1000/trunk.pth'
rows = [
    dict(name='full_ce', weak='full masks', method='CE', config='configs/camvid/full_ce.py'),
    dict(name='full_ce_seed1', weak='full masks', method='CE; training seed 1',
         config='configs/camvid/full_ce.py', extra_args=_seed1),
    dict(name='ssl_full_ce', weak='full masks', method='CE, SSL init', config='configs/ssl/camvid/full_ce.py',
         before=_trunk),
    dict(name='ssl_full_ce_seed1', weak='full masks', method='CE, SSL init; training seed 1',
         config='configs/ssl/camvid/full_ce.py', extra_args=_seed1, before=_trunk),
    dict(name='ssl1000_full_ce', weak='full masks', method='CE, SSL init (1000 pretraining iterations)',
         config='configs/ssl/camvid/full_ce.py', before=_trunk1000, extra_args=['--cfg-options', _init1000]),
    dict(name='ssl1000_full_ce_seed1', weak='full masks',
         method='CE, SSL init (1000 pretraining iterations); training seed 1', config='configs/ssl/camvid/full_ce.py',
         before=_trunk1000, extra_args=['--cfg-options', _init1000, 'randomness.seed=1']),
]
