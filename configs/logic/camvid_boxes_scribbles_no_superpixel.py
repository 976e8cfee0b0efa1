# Ablation: the CamVid logic row (camvid_boxes_scribbles.py) without the superpixel-border constraint;
# everything else (weak labels, network, schedule, other weights) unchanged.
_base_ = ['./camvid_boxes_scribbles.py']
logic_constraints = [
    dict(type='OutsideClassBoxes', weight=1.0, name='outside_class_boxes'),
    dict(type='BoxTightness', weight=1.0, name='tightness'),
    dict(type='ScribbleClass', weight=1.0, name='scribbles'),
    dict(type='NeighbourSupport', connectivity=8, weight=0.1, name='neighbour_support'),
    dict(type='NeighbourConsensus', connectivity=8, weight=0.1, name='neighbour_consensus'),
]
model = dict(losses=[dict(type='LogicLoss', background_index=None, constraints=logic_constraints)])
