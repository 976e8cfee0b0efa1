# Points (1 click per region, simulated): partial CE + dense CRF loss + entropy (two-phase
# schedule as in configs/rloss/). Clicks label ~0.1% of the pixels, so the regularisers carry
# most of the signal.
_base_ = ['../camvid/points_pce.py', '../rloss/_regularisers_.py']
model = dict(losses=[dict(type='PartialCrossEntropy'), {{_base_.crf_loss}}, {{_base_.entropy_loss}}])
