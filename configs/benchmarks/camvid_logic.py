# Benchmark matrix: the logic loss on CamVid (train -> val) with simulated boxes + 3% scribbles,
# every row on the same network, schedule, crop, batch and seed as the full-supervision reference
# (configs/camvid/_base_.py: DeepLabV3+ R18 from scratch). Run:
#   python tools/benchmark.py --matrix configs/benchmarks/camvid_logic.py
# The rows marked "all lines" trained before BoxTightness learned to skip the lines of boxes a
# random crop cut (WeakLabels.box_cut); logic_cut_aware is the full loss on the current code.
dataset = 'CamVid (240x180, 367 train / 101 val)'
reference = 'full_ce'
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
]
