# As logic/camvid_boxes_scribbles.py (boxes + scribbles, logic loss), from the SSL trunk instead of random initialisation.
_base_ = ['../../logic/camvid_boxes_scribbles.py', './_trunk_.py']
model = dict(net=dict(pretrained={{_base_.trunk}}))
