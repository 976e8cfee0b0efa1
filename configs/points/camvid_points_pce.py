# Points (1 interior click per connected region, simulated): partial CE only.
# The same training as configs/camvid/points_pce.py, under configs/points/ beside its dense variant.
_base_ = ['../camvid/points_pce.py']
