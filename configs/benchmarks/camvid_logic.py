# Benchmark matrix: the logic loss on CamVid (train -> val) with simulated boxes + 3% scribbles,
# every row on the same network, schedule, crop, batch and seed as the full-supervision reference
# (configs/camvid/_base_.py: DeepLabV3+ R18 from scratch). Run:
#   python tools/benchmark.py --matrix configs/benchmarks/camvid_logic.py
# The rows marked "all lines" trained before BoxTightness learned to skip the lines of boxes a
# random crop cut (WeakLabels.box_cut); logic_cut_aware is the full loss on the current code.
# The *_seed1 rows repeat a row with training seed 1 (same simulated labels): the noise of a
# single-seed row, for the reference and for the tightness question.
dataset = 'CamVid (240x180, 367 train / 101 val)'
reference = 'full_ce'
budget = ('Every row: same network and schedule; training seed 0 and the same simulated labels, '
          'except the `*_seed1` rows (training seed 1).')
rows = [
    dict(name='full_ce', weak='full masks', method='CE', config='configs/camvid/full_ce.py'),
    dict(name='logic_boxes_scribbles', weak='boxes + scribbles 3% (simulated)',
         method='logic loss (class boxes, tightness on all lines, scribbles, neighbourhood, superpixel)',
         config='configs/logic/camvid_boxes_scribbles.py'),
    dict(name='logic_no_tightness', weak='boxes + scribbles 3% (simulated)',
         method='logic loss without box tightness',
         config='configs/logic/camvid_boxes_scribbles_no_tightness.py'),
    dict(name='logic_no_neighbourhood', weak='boxes + scribbles 3% (simulated)',
         method='logic loss without neighbourhood (tightness on all lines)',
         config='configs/logic/camvid_boxes_scribbles_no_neighbourhood.py'),
    dict(name='logic_no_superpixel', weak='boxes + scribbles 3% (simulated)',
         method='logic loss without superpixel border (tightness on all lines)',
         config='configs/logic/camvid_boxes_scribbles_no_superpixel.py'),
    dict(name='logic_cut_aware', weak='boxes + scribbles 3% (simulated)',
         method='logic loss, tightness only on lines a crop did not cut',
         config='configs/logic/camvid_boxes_scribbles.py'),
    dict(name='logic_cut_aware_seed1', weak='boxes + scribbles 3% (simulated)',
         method='logic loss, tightness only on uncut lines; training seed 1',
         config='configs/logic/camvid_boxes_scribbles.py', extra_args=['--cfg-options', 'randomness.seed=1']),
    dict(name='logic_no_tightness_seed1', weak='boxes + scribbles 3% (simulated)',
         method='logic loss without box tightness; training seed 1',
         config='configs/logic/camvid_boxes_scribbles_no_tightness.py',
         extra_args=['--cfg-options', 'randomness.seed=1']),
    dict(name='logic_tightness_0p1', weak='boxes + scribbles 3% (simulated)',
         method='logic loss, tightness on uncut lines at weight 0.1 (not 1.0)',
         config='configs/logic/camvid_boxes_scribbles.py',
         extra_args=['--cfg-options', 'model.losses.0.constraints.1.weight=0.1']),
    dict(name='logic_tightness_0p1_seed1', weak='boxes + scribbles 3% (simulated)',
         method='logic loss, tightness on uncut lines at weight 0.1; training seed 1',
         config='configs/logic/camvid_boxes_scribbles.py',
         extra_args=['--cfg-options', 'model.losses.0.constraints.1.weight=0.1', 'randomness.seed=1']),
    dict(name='full_ce_seed1', weak='full masks', method='CE; training seed 1',
         config='configs/camvid/full_ce.py', extra_args=['--cfg-options', 'randomness.seed=1']),
]
