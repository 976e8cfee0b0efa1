# Shared by every CamVid benchmark row: the same network, schedule, crop, batch and seed.
_base_ = ['../_base_/default_runtime.py', '../_base_/schedules/iters.py',
          '../_base_/models/deeplabv3plus_r18.py', '../_base_/datasets/camvid.py']
randomness = dict(seed=0)
