# Ablation: the CamVid logic row (camvid_boxes_scribbles.py) without the neighbourhood constraints (support and consensus);
# everything else (weak labels, network, schedule, other weights) unchanged.
_base_ = ['./camvid_boxes_scribbles.py']
logic_constraints = [
    dict(type='OutsideClassBoxes', weight=1.0, name='outside_class_boxes'),
    dict(type='BoxTightness', weight=1.0, name='tightness'),
    dict(type='ScribbleClass', weight=1.0, name='scribbles'),
    dict(type='SuperpixelBorder', method='slic', params=dict(n_segments=100), weight=0.1,
         name='superpixel'),
]
model = dict(losses=[dict(type='LogicLoss', background_index=None, constraints=logic_constraints)])
