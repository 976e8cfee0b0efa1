# As points/camvid_points_pce_crf_entropy.py (points, pCE + CRF + entropy), from the SSL trunk instead of random initialisation.
_base_ = ['../../points/camvid_points_pce_crf_entropy.py', './_trunk_.py']
model = dict(net=dict(pretrained={{_base_.trunk}}))
