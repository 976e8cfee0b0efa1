# Benchmark matrix of issue 5: dense regularised losses, points and CAM seeds on CamVid
# (train -> val). Every row: configs/camvid/_base_.py (DeepLabV3+ R18 from scratch, 128x128
# crops, batch 8, 3000 iterations, seed 0). Rows named as in configs/benchmarks/camvid.py reuse
# that matrix's results (same config).
#   python tools/benchmark.py --matrix configs/benchmarks/camvid_dense.py
# The two tags rows need the CAM classifier trained first; cam_seeds trains it (1000 iterations
# of whole frames; its mIoU scores the dense CAM argmax over each val image's true tags). cam_stage2 first writes the seeds
# (its `before` step, resumable) with the classifier that cam_seeds trained.
# The annotation-budget curve: the rows with a `coverage` (scribbles_coverage_* and
# scribbles_pce_crf_entropy at 3%); plot it after the runs with
#   python tools/plot_dense_losses.py --budget configs/benchmarks/camvid_dense.py
dataset = 'CamVid (240x180, 367 train / 101 val)'
reference = 'full_ce'
_sc = 'scribbles 3% (simulated)'
rows = [
    dict(name='full_ce', weak='full masks', method='CE', config='configs/camvid/full_ce.py'),
    dict(name='scribbles_pce', weak=_sc, method='partial CE', config='configs/camvid/scribbles_pce.py'),
    dict(name='scribbles_pce_crf', weak=_sc, method='pCE + CRF',
         config='configs/rloss/camvid_scribbles_pce_crf.py'),
    dict(name='scribbles_pce_entropy', weak=_sc, method='pCE + entropy',
         config='configs/rloss/camvid_scribbles_pce_entropy.py'),
    dict(name='scribbles_pce_crf_entropy', weak=_sc, method='pCE + CRF + entropy',
         config='configs/rloss/camvid_scribbles_pce_crf_entropy.py', coverage=0.03),
    dict(name='points_pce', weak='points, 1 per region (simulated)', method='partial CE',
         config='configs/camvid/points_pce.py'),
    dict(name='points_pce_crf_entropy', weak='points, 1 per region (simulated)',
         method='pCE + CRF + entropy', config='configs/points/camvid_points_pce_crf_entropy.py'),
    dict(name='scribbles_coverage_0p5', weak='scribbles 0.5% (simulated)', method='pCE + CRF + entropy',
         config='configs/rloss/camvid_scribbles_coverage_0p5.py', coverage=0.005),
    dict(name='scribbles_coverage_1', weak='scribbles 1% (simulated)', method='pCE + CRF + entropy',
         config='configs/rloss/camvid_scribbles_coverage_1.py', coverage=0.01),
    dict(name='scribbles_coverage_10', weak='scribbles 10% (simulated)', method='pCE + CRF + entropy',
         config='configs/rloss/camvid_scribbles_coverage_10.py', coverage=0.1),
    dict(name='cam_seeds', weak='image tags (simulated)', method='CAM (dense argmax over true tags)',
         config='configs/cam/camvid_tags_cam.py'),
    dict(name='cam_stage2', weak='image tags (simulated)', method='CAM seeds -> pCE + CRF + entropy',
         config='configs/cam/camvid_tags_cam_stage2.py',
         before=[['tools/pseudo_label.py', 'configs/cam/camvid_tags_cam.py',
                  '--checkpoint', 'work_dirs/benchmarks/cam_seeds/iter_1000.pth',
                  '--out', 'work_dirs/camvid_tags_cam/pseudo_masks']]),
]
