# Issue 11's pretraining budget at the 3000-iteration schedule: full CE from random init (0), from
# the 500-iteration DenseCL trunk (the camvid_ssl matrix's) and from a 1000-iteration one
# (configs/ssl/camvid_densecl_1000.py: twice the iterations, the same cosine decay stretched over
# them), each on training seeds 0 and 1. Rows named as in camvid_ssl reuse its results.
#   python tools/benchmark.py --matrix configs/benchmarks/camvid_ssl_budget.py
dataset = 'CamVid (240x180, 367 train / 101 val)'
reference = 'full_ce'
budget = ('Every row: full masks, CE, the same network; 3000 iterations with a bfloat16 forward, or 750 '
          'iterations in float32 (*_750_fp32, each ratio against the float32 random-init row of its seed); '
          'training seed 0 except *_seed1; the trunk: random weights, or DenseCL-style pretraining on the '
          '367 unlabelled train frames for 500 (ssl_*) or 1000 (ssl1000_*) iterations.')
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
# The same question on the 750-iteration schedule, in float32 (model.train_autocast=None): rows
# that an AVX2-only CPU can train (bfloat16 autocast is ~26x slower there; tools/bench_autocast.py),
# with a float32 random-init reference on the same seed. The bfloat16 rows of camvid_ssl at 750
# (full_ce_750, ssl_full_ce_750, ...) are the 500-iteration trunk's point.
_short = ['--cfg-options', 'train_cfg.max_iters=750', 'param_scheduler.0.end=750', 'model.train_autocast=None']
rows += [
    dict(name='full_ce_750_fp32', weak='full masks', method='CE, 750 iterations, float32',
         config='configs/camvid/full_ce.py', extra_args=_short, reference='full_ce_750_fp32'),
    dict(name='ssl1000_full_ce_750_fp32', weak='full masks',
         method='CE, SSL init (1000 pretraining iterations), 750 iterations, float32',
         config='configs/ssl/camvid/full_ce.py', before=_trunk1000, extra_args=_short + [_init1000],
         reference='full_ce_750_fp32'),
    dict(name='full_ce_750_fp32_seed1', weak='full masks', method='CE, 750 iterations, float32; training seed 1',
         config='configs/camvid/full_ce.py', extra_args=_short + ['randomness.seed=1'],
         reference='full_ce_750_fp32_seed1'),
    dict(name='ssl1000_full_ce_750_fp32_seed1', weak='full masks',
         method='CE, SSL init (1000 pretraining iterations), 750 iterations, float32; training seed 1',
         config='configs/ssl/camvid/full_ce.py', before=_trunk1000,
         extra_args=_short + [_init1000, 'randomness.seed=1'], reference='full_ce_750_fp32_seed1'),
]
