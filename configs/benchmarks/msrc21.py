# Benchmark matrix: MSRC-21 (train -> val), every row on the same network, schedule and seed
# (configs/msrc21/_base_.py: DeepLabV3+ R18 from scratch, 128x128 crops, batch 8, 1000
# iterations). Run:  python tools/benchmark.py --matrix configs/benchmarks/msrc21.py
# The tags rows' pseudo-masks come from tools/bench_tags.py (CAM classifier, seeds,
# refinement; docs/methods/tags.md), which must have run first.
dataset = 'MSRC-21 (320x213, 276 train / 58 val, 21 classes, no background, ~20% void)'
reference = 'msrc21_full_ce'
budget = ('Every row: same network and schedule; training seed 0 and the same simulated labels, '
          'except the `*_seed1` rows (training seed 1). The `msrc21_ssl_*` rows start from the DenseCL trunk of configs/ssl/msrc21_densecl.py, the others from random weights.')
columns = [('row', 'name'), ('weak labels', 'weak'), ('labelled pixels', 'labelled'),
           ('method', 'method'), ('mIoU', 'mIoU:.2f'), ('weak/full mIoU', 'ratio:mIoU'),
           ('mAcc', 'mAcc:.2f'), ('weak/full mAcc', 'ratio:mAcc'), ('aAcc', 'aAcc:.2f'),
           ('wall time', 'wall'), ('peak RSS', 'rss')]
_seed1 = ['--cfg-options', 'randomness.seed=1']
rows = [
    dict(name='msrc21_full_ce', weak='full masks', method='CE', config='configs/msrc21/full_ce.py'),
    dict(name='msrc21_full_ce_seed1', weak='full masks', method='CE; training seed 1',
         config='configs/msrc21/full_ce.py', extra_args=_seed1),
    dict(name='msrc21_full_ce_long', weak='full masks', method='CE, 2000 iterations (plateau check)',
         config='configs/msrc21/full_ce_long.py'),
    dict(name='msrc21_scribbles_pce', weak='scribbles 3% (simulated)', method='partial CE',
         config='configs/msrc21/scribbles_pce.py'),
    dict(name='msrc21_points_pce', weak='points, 1 per region (simulated)', method='partial CE',
         config='configs/msrc21/points_pce.py'),
    dict(name='msrc21_logic_boxes_scribbles', weak='boxes + scribbles 3% (simulated)',
         method='logic loss', config='configs/msrc21/boxes_scribbles_logic.py'),
]
# The tags path (docs/methods/tags.md). Stage 1: the CAM classifier (its val scores are the
# dense CAM argmax over each val image's true tags). Stage 2: the benchmark network on the
# pseudo-masks of tools/bench_tags.py, partial CE on decided pixels + dense CRF loss. The masks:
#   python tools/bench_tags.py configs/cam/msrc21_tags_cam.py --checkpoint \
#       work_dirs/msrc21_tags_cam/iter_400.pth --out work_dirs/tags/msrc21 --scales 0.6
# (--scales 0.6: the training scale with its flip, the best train pseudo-masks of the scale sets
# tried: docs/benchmarks.md)
_masks = 'train_dataloader.dataset.pseudo_mask_dir=work_dirs/tags/msrc21/masks/'
rows += [
    dict(name='msrc21_tags_cam', weak='tags (simulated)', method='stage 1: CAM classifier, 400 iterations',
         config='configs/cam/msrc21_tags_cam.py'),
] + [
    dict(name=f'msrc21_tags_stage2_{m}', weak='tags (simulated)',
         method=f'stage 2 on {what}: partial CE + CRF loss', config='configs/msrc21/tags_stage2.py',
         extra_args=['--cfg-options', _masks + m])
    for m, what in (('seeds', 'CAM seeds'), ('crf', 'seeds + CRF'), ('superpixels', 'superpixel-pooled CAMs'),
                    ('affinity', 'affinity random walk'),
                    ('crossimage', 'the cross-image superpixel classifier\'s masks'))
] + [
    dict(name='msrc21_tags_stage2_crossimage_seed1', weak='tags (simulated)',
         method='stage 2 on the cross-image superpixel classifier\'s masks: partial CE + CRF loss; training seed 1',
         config='configs/msrc21/tags_stage2.py', extra_args=['--cfg-options', _masks + 'crossimage', 'randomness.seed=1'])
]
# One round of self-training: the seeds row's network predicts every train image again, its
# argmax over the image's tags is the next round's pseudo-mask (bench_tags step selftrain).
_selftrain = [['tools/bench_tags.py', 'configs/cam/msrc21_tags_cam.py', '--checkpoint',
               'work_dirs/msrc21_tags_cam/iter_400.pth', '--out', 'work_dirs/tags/msrc21', '--scales', '0.6',
               '--steps', 'selftrain,report', '--stage2-config', 'configs/msrc21/tags_stage2.py',
               '--stage2-checkpoint', 'work_dirs/benchmarks/msrc21_tags_stage2_seeds/iter_1000.pth']]
rows += [
    dict(name='msrc21_tags_stage2_selftrain', weak='tags (simulated)',
         method='self-training round: stage 2 again on the seeds row\'s own train predictions over the tags',
         config='configs/msrc21/tags_stage2.py', extra_args=['--cfg-options', _masks + 'selftrain'],
         before=_selftrain),
    dict(name='msrc21_tags_stage2_selftrain_seed1', weak='tags (simulated)',
         method='self-training round (the same masks); training seed 1', config='configs/msrc21/tags_stage2.py',
         extra_args=['--cfg-options', _masks + 'selftrain', 'randomness.seed=1'], before=_selftrain),
    dict(name='msrc21_tags_stage2_seeds_seed1', weak='tags (simulated)',
         method='stage 2 on CAM seeds: partial CE + CRF loss; training seed 1',
         config='configs/msrc21/tags_stage2.py', extra_args=['--cfg-options', _masks + 'seeds', 'randomness.seed=1']),
    # plateau check of the tags path at 2000 iterations (configs/msrc21/*_long.py), its ratios
    # against the reference on the same schedule
    dict(name='msrc21_tags_stage2_seeds_long', weak='tags (simulated)',
         method='stage 2 on CAM seeds, 2000 iterations (plateau check)',
         config='configs/msrc21/tags_stage2_long.py', extra_args=['--cfg-options', _masks + 'seeds'],
         reference='msrc21_full_ce_long'),
    dict(name='msrc21_tags_stage2_seeds_long_seed1', weak='tags (simulated)',
         method='stage 2 on CAM seeds, 2000 iterations; training seed 1',
         config='configs/msrc21/tags_stage2_long.py', extra_args=['--cfg-options', _masks + 'seeds', 'randomness.seed=1'],
         reference='msrc21_full_ce_long'),
    dict(name='msrc21_full_ce_long_seed1', weak='full masks', method='CE, 2000 iterations; training seed 1',
         config='configs/msrc21/full_ce_long.py', extra_args=_seed1),
]
# SSL init (issue 11): the DenseCL trunk of configs/ssl/msrc21_densecl.py, pretrained on the 276
# unlabelled train images, initialises the CAM classifier (configs/ssl/msrc21/tags_cam.py, whose
# pseudo-masks tools/bench_tags.py writes to work_dirs/tags/ssl_msrc21) and the stage-2 network.
_ssl_trunk = [['tools/pretrain_ssl.py', 'configs/ssl/msrc21_densecl.py', '--work-dir', 'work_dirs/ssl/msrc21_densecl']]
_ssl_seeds = _ssl_trunk + [
    ['tools/train.py', 'configs/ssl/msrc21/tags_cam.py', '--work-dir', 'work_dirs/ssl_msrc21_tags_cam', '--resume'],
    ['tools/bench_tags.py', 'configs/ssl/msrc21/tags_cam.py', '--checkpoint', 'work_dirs/ssl_msrc21_tags_cam/iter_400.pth',
     '--out', 'work_dirs/tags/ssl_msrc21', '--scales', '0.6', '--steps', 'cams,seeds,report',
     '--section', 'tags-ssl-msrc21'],
]
rows += [
    dict(name='msrc21_ssl_full_ce', weak='full masks', method='CE; SSL init',
         config='configs/ssl/msrc21/full_ce.py', before=_ssl_trunk),
    dict(name='msrc21_ssl_full_ce_seed1', weak='full masks', method='CE; SSL init; training seed 1',
         config='configs/ssl/msrc21/full_ce.py', extra_args=_seed1, before=_ssl_trunk),
    dict(name='msrc21_ssl_tags_stage2_seeds', weak='tags (simulated)',
         method='stage 2 on CAM seeds: partial CE + CRF loss; SSL init (CAM classifier and stage 2)',
         config='configs/ssl/msrc21/tags_stage2.py', before=_ssl_seeds),
    dict(name='msrc21_ssl_tags_stage2_seeds_seed1', weak='tags (simulated)',
         method='stage 2 on CAM seeds: partial CE + CRF loss; SSL init; training seed 1',
         config='configs/ssl/msrc21/tags_stage2.py', extra_args=_seed1, before=_ssl_seeds),
]
