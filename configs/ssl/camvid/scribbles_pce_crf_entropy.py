# As rloss/camvid_scribbles_pce_crf_entropy.py (3% scribbles, pCE + CRF + entropy), from the SSL trunk instead of random initialisation.
_base_ = ['../../rloss/camvid_scribbles_pce_crf_entropy.py', './_trunk_.py']
model = dict(net=dict(pretrained={{_base_.trunk}}))
