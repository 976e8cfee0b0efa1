# Benchmark matrix of the SSL issue: every CamVid weak row from the DenseCL trunk
# (configs/ssl/camvid_densecl.py, pretrained on the 367 unlabelled train frames) beside the same
# row from random initialisation, same network, schedule and labels (configs/camvid/_base_.py).
#   python tools/pretrain_ssl.py configs/ssl/camvid_densecl.py --work-dir work_dirs/ssl/camvid_densecl
#   python tools/benchmark.py --matrix configs/benchmarks/camvid_ssl.py
# Rows named as in the other CamVid matrices reuse their results. *_seed1: training seed 1.
# *_750: the same configs on a 750-iteration schedule (poly decay over 750), a cheaper check.
dataset = 'CamVid (240x180, 367 train / 101 val)'
reference = 'full_ce'
budget = ('Every row: same network and schedule (3000 iterations; the *_750 rows 750), training seed 0 '
          'except *_seed1; ssl_* rows start from work_dirs/ssl/camvid_densecl/trunk.pth (500 iterations '
          'of DenseCL-style pretraining), the others from random weights.')
_sc, _pt, _bx = 'scribbles 3% (simulated)', 'points, 1 per region (simulated)', 'boxes + scribbles 3% (simulated)'
_seed1 = ['--cfg-options', 'randomness.seed=1']
_short = ['--cfg-options', 'train_cfg.max_iters=750', 'param_scheduler.0.end=750']
# the regularisers' two-phase schedule scaled with it: pCE alone for 30%, then a 10% ramp
_phase_750 = ['model.losses.1.start_iter=225', 'model.losses.1.ramp_iters=75',
              'model.losses.2.start_iter=225', 'model.losses.2.ramp_iters=75']
_trunk = [['tools/pretrain_ssl.py', 'configs/ssl/camvid_densecl.py', '--work-dir', 'work_dirs/ssl/camvid_densecl']]
# A tags stage 2 trains on the seeds of row <init>cam_seeds<run> (its CAM classifier at iteration
# `it`), written by its `before` step to a folder of their own.
_seed_dir = lambda init, run='': f'work_dirs/{init}camvid_tags_cam{run}/pseudo_masks'
_seeds = lambda init, cfg, run='', it=1000: [['tools/pseudo_label.py', cfg, '--checkpoint',
                                              f'work_dirs/benchmarks/{init}cam_seeds{run}/iter_{it}.pth',
                                              '--out', _seed_dir(init, run)]]
rows = [
    dict(name='full_ce', weak='full masks', method='CE', config='configs/camvid/full_ce.py'),
    dict(name='ssl_full_ce', weak='full masks', method='CE, SSL init', config='configs/ssl/camvid/full_ce.py',
         before=_trunk),
    dict(name='full_ce_seed1', weak='full masks', method='CE; training seed 1',
         config='configs/camvid/full_ce.py', extra_args=_seed1),
    dict(name='ssl_full_ce_seed1', weak='full masks', method='CE, SSL init; training seed 1',
         config='configs/ssl/camvid/full_ce.py', extra_args=_seed1, before=_trunk),
    dict(name='scribbles_pce_crf_entropy', weak=_sc, method='pCE + CRF + entropy',
         config='configs/rloss/camvid_scribbles_pce_crf_entropy.py'),
    dict(name='ssl_scribbles_pce_crf_entropy', weak=_sc, method='pCE + CRF + entropy, SSL init',
         config='configs/ssl/camvid/scribbles_pce_crf_entropy.py', before=_trunk),
    dict(name='scribbles_pce_crf_entropy_seed1', weak=_sc, method='pCE + CRF + entropy; training seed 1',
         config='configs/rloss/camvid_scribbles_pce_crf_entropy.py', extra_args=_seed1),
    dict(name='ssl_scribbles_pce_crf_entropy_seed1', weak=_sc,
         method='pCE + CRF + entropy, SSL init; training seed 1',
         config='configs/ssl/camvid/scribbles_pce_crf_entropy.py', extra_args=_seed1, before=_trunk),
    dict(name='points_pce_crf_entropy', weak=_pt, method='pCE + CRF + entropy',
         config='configs/points/camvid_points_pce_crf_entropy.py'),
    dict(name='ssl_points_pce_crf_entropy', weak=_pt, method='pCE + CRF + entropy, SSL init',
         config='configs/ssl/camvid/points_pce_crf_entropy.py', before=_trunk),
    dict(name='points_pce_crf_entropy_seed1', weak=_pt, method='pCE + CRF + entropy; training seed 1',
         config='configs/points/camvid_points_pce_crf_entropy.py', extra_args=_seed1),
    dict(name='ssl_points_pce_crf_entropy_seed1', weak=_pt, method='pCE + CRF + entropy, SSL init; training seed 1',
         config='configs/ssl/camvid/points_pce_crf_entropy.py', extra_args=_seed1, before=_trunk),
    dict(name='logic_boxes_scribbles', weak=_bx, method='logic loss',
         config='configs/logic/camvid_boxes_scribbles.py'),
    dict(name='ssl_logic_boxes_scribbles', weak=_bx, method='logic loss, SSL init',
         config='configs/ssl/camvid/logic_boxes_scribbles.py', before=_trunk),
    dict(name='logic_boxes_scribbles_seed1', weak=_bx, method='logic loss; training seed 1',
         config='configs/logic/camvid_boxes_scribbles.py', extra_args=_seed1),
    dict(name='ssl_logic_boxes_scribbles_seed1', weak=_bx, method='logic loss, SSL init; training seed 1',
         config='configs/ssl/camvid/logic_boxes_scribbles.py', extra_args=_seed1, before=_trunk),
    dict(name='cam_seeds', weak='image tags (simulated)', method='CAM (dense argmax over true tags)',
         config='configs/cam/camvid_tags_cam.py'),
    dict(name='ssl_cam_seeds', weak='image tags (simulated)', method='CAM, SSL init',
         config='configs/ssl/camvid/tags_cam.py', before=_trunk),
    dict(name='ssl_cam_stage2', weak='image tags (simulated)', method='CAM seeds -> pCE + CRF + entropy, SSL init',
         config='configs/ssl/camvid/tags_cam_stage2.py', before=_seeds('ssl_', 'configs/ssl/camvid/tags_cam.py')),
    dict(name='cam_seeds_seed1', weak='image tags (simulated)', method='CAM; training seed 1',
         config='configs/cam/camvid_tags_cam.py', extra_args=_seed1),
    dict(name='cam_stage2_seed1', weak='image tags (simulated)', method='CAM seeds -> pCE + CRF + entropy; training seed 1',
         config='configs/cam/camvid_tags_cam_stage2.py', before=_seeds('', 'configs/cam/camvid_tags_cam.py', '_seed1'),
         extra_args=_seed1 + [f"train_dataloader.dataset.mask_dir={_seed_dir('', '_seed1')}"]),
    dict(name='ssl_cam_seeds_seed1', weak='image tags (simulated)', method='CAM, SSL init; training seed 1',
         config='configs/ssl/camvid/tags_cam.py', extra_args=_seed1, before=_trunk),
    dict(name='ssl_cam_stage2_seed1', weak='image tags (simulated)',
         method='CAM seeds -> pCE + CRF + entropy, SSL init; training seed 1',
         config='configs/ssl/camvid/tags_cam_stage2.py', before=_seeds('ssl_', 'configs/ssl/camvid/tags_cam.py', '_seed1'),
         extra_args=_seed1 + [f"train_dataloader.dataset.mask_dir={_seed_dir('ssl_', '_seed1')}"]),
    dict(name='full_ce_750', weak='full masks', method='CE, 750 iterations',
         config='configs/camvid/full_ce.py', extra_args=_short),
    dict(name='ssl_full_ce_750', weak='full masks', method='CE, SSL init, 750 iterations',
         config='configs/ssl/camvid/full_ce.py', extra_args=_short, before=_trunk),
    dict(name='full_ce_750_seed1', weak='full masks', method='CE, 750 iterations; training seed 1',
         config='configs/camvid/full_ce.py', extra_args=_short + ['randomness.seed=1']),
    dict(name='ssl_full_ce_750_seed1', weak='full masks', method='CE, SSL init, 750 iterations; training seed 1',
         config='configs/ssl/camvid/full_ce.py', extra_args=_short + ['randomness.seed=1'], before=_trunk),
    dict(name='scribbles_pce_crf_entropy_750', weak=_sc, method='pCE + CRF + entropy, 750 iterations',
         config='configs/rloss/camvid_scribbles_pce_crf_entropy.py', extra_args=_short + _phase_750),
    dict(name='ssl_scribbles_pce_crf_entropy_750', weak=_sc, method='pCE + CRF + entropy, SSL init, 750 iterations',
         config='configs/ssl/camvid/scribbles_pce_crf_entropy.py', extra_args=_short + _phase_750, before=_trunk),
    dict(name='ssl250_full_ce_750', weak='full masks', method='CE, SSL init (250 pretraining iterations), 750 iterations',
         config='configs/ssl/camvid/full_ce.py', before=_trunk,
         extra_args=_short + ['model.net.pretrained=work_dirs/ssl/camvid_densecl/trunk_iter250.pth']),
]
# The rest of the matrix on the 750-iteration schedule (the 3000-iteration rows cost 70 min each on
# these cores). Points share the scribbles' two-phase regulariser schedule, scaled the same way; the
# logic loss has no phases. Tags: the CAM classifier on 250 iterations (1000 scaled as 3000 -> 750),
# its seeds written to a folder per init, then the second stage on 750 iterations.
_cam750 = ['--cfg-options', 'train_cfg.max_iters=250', 'param_scheduler.0.end=250']
rows += [
    dict(name='scribbles_pce_crf_entropy_750_seed1', weak=_sc,
         method='pCE + CRF + entropy, 750 iterations; training seed 1',
         config='configs/rloss/camvid_scribbles_pce_crf_entropy.py',
         extra_args=_short + _phase_750 + ['randomness.seed=1']),
    dict(name='ssl_scribbles_pce_crf_entropy_750_seed1', weak=_sc,
         method='pCE + CRF + entropy, SSL init, 750 iterations; training seed 1',
         config='configs/ssl/camvid/scribbles_pce_crf_entropy.py',
         extra_args=_short + _phase_750 + ['randomness.seed=1'], before=_trunk),
    dict(name='points_pce_crf_entropy_750', weak=_pt, method='pCE + CRF + entropy, 750 iterations',
         config='configs/points/camvid_points_pce_crf_entropy.py', extra_args=_short + _phase_750),
    dict(name='ssl_points_pce_crf_entropy_750', weak=_pt, method='pCE + CRF + entropy, SSL init, 750 iterations',
         config='configs/ssl/camvid/points_pce_crf_entropy.py', extra_args=_short + _phase_750, before=_trunk),
    dict(name='logic_boxes_scribbles_750', weak=_bx, method='logic loss, 750 iterations',
         config='configs/logic/camvid_boxes_scribbles.py', extra_args=_short),
    dict(name='ssl_logic_boxes_scribbles_750', weak=_bx, method='logic loss, SSL init, 750 iterations',
         config='configs/ssl/camvid/logic_boxes_scribbles.py', extra_args=_short, before=_trunk),
    dict(name='cam_seeds_750', weak='image tags (simulated)', method='CAM, 250 iterations',
         config='configs/cam/camvid_tags_cam.py', extra_args=_cam750),
    dict(name='ssl_cam_seeds_750', weak='image tags (simulated)', method='CAM, SSL init, 250 iterations',
         config='configs/ssl/camvid/tags_cam.py', extra_args=_cam750, before=_trunk),
    dict(name='cam_stage2_750', weak='image tags (simulated)',
         method='CAM seeds -> pCE + CRF + entropy, 750 iterations',
         config='configs/cam/camvid_tags_cam_stage2.py', before=_seeds('', 'configs/cam/camvid_tags_cam.py', '_750', 250),
         extra_args=_short + _phase_750 + [f"train_dataloader.dataset.mask_dir={_seed_dir('', '_750')}"]),
    dict(name='ssl_cam_stage2_750', weak='image tags (simulated)',
         method='CAM seeds -> pCE + CRF + entropy, SSL init, 750 iterations',
         config='configs/ssl/camvid/tags_cam_stage2.py', before=_seeds('ssl_', 'configs/ssl/camvid/tags_cam.py', '_750', 250),
         extra_args=_short + _phase_750 + [f"train_dataloader.dataset.mask_dir={_seed_dir('ssl_', '_750')}"]),
    dict(name='ssl125_full_ce_750', weak='full masks',
         method='CE, SSL init (125 pretraining iterations), 750 iterations',
         config='configs/ssl/camvid/full_ce.py', before=_trunk,
         extra_args=_short + ['model.net.pretrained=work_dirs/ssl/camvid_densecl/trunk_iter125.pth']),
]
# The method choice at equal budget: a SimCLR trunk (configs/ssl/camvid_simclr.py, the same views,
# seed and schedule, stopped at iteration 250 of its 500) against the DenseCL trunk at 250.
rows += [
    dict(name='simclr250_full_ce_750', weak='full masks',
         method='CE, SimCLR init (250 pretraining iterations), 750 iterations', config='configs/ssl/camvid/full_ce.py',
         before=[['tools/pretrain_ssl.py', 'configs/ssl/camvid_simclr.py', '--work-dir', 'work_dirs/ssl/camvid_simclr',
                  '--cfg-options', 'train_cfg.max_iters=250']],
         extra_args=_short + ['model.net.pretrained=work_dirs/ssl/camvid_simclr/trunk_iter250.pth']),
]
