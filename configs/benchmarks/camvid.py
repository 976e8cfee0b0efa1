# Benchmark matrix: CamVid (train -> val), every row on the same network, schedule and seed
# (configs/camvid/_base_.py: DeepLabV3+ R18 from scratch, 128x128 crops, batch 8, 3000 iterations).
# full_ce_long (6000 iterations) only checks that the reference has plateaued.
dataset = 'CamVid (240x180, 367 train / 101 val)'
reference = 'full_ce'
rows = [
    dict(name='full_ce', weak='full masks', method='CE', config='configs/camvid/full_ce.py'),
    dict(name='full_ce_long', weak='full masks', method='CE, 6000 iterations (plateau check)',
         config='configs/camvid/full_ce_long.py'),
    dict(name='scribbles_pce', weak='scribbles 3% (simulated)', method='partial CE',
         config='configs/camvid/scribbles_pce.py'),
    dict(name='points_pce', weak='points, 1 per region (simulated)', method='partial CE',
         config='configs/camvid/points_pce.py'),
]
