# Logic loss on simulated CamVid boxes + 3% scribbles, same network, schedule, crop, batch and
# seed as the full-supervision row (configs/camvid/_base_.py). The loss replaces CE entirely.
# CamVid has no background class, so every region gets a box (Boxes background_index=None),
# OutsideBoxesBackground is not used (LogicLoss background_index=None), and OutsideClassBoxes
# keeps each class inside its own boxes instead.
_base_ = ['../camvid/_base_.py']
weak_sources = [
    dict(type='Boxes', simulate=True, background_index=None),
    dict(type='Scribbles', simulate=True, coverage=0.03, seed=0),
]
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='LoadMask'),
    dict(type='LoadWeakLabels', sources=weak_sources),
    # superpixels of the whole 240x180 frame, computed once per image and cropped with it
    # (260 segments: about the size of 100 on a 128x128 crop)
    dict(type='ComputeSuperpixels', method='slic', params=dict(n_segments=260)),
    dict(type='RandomCrop', size={{_base_.crop_size}}),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs', target='partial'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
logic_constraints = [
    dict(type='OutsideClassBoxes', weight=1.0, name='outside_class_boxes'),
    dict(type='BoxTightness', weight=1.0, name='tightness'),
    dict(type='ScribbleClass', weight=1.0, name='scribbles'),
    dict(type='NeighbourSupport', connectivity=8, weight=0.1, name='neighbour_support'),
    dict(type='NeighbourConsensus', connectivity=8, weight=0.1, name='neighbour_consensus'),
    dict(type='SuperpixelBorder', method='slic', params=dict(n_segments=100), weight=0.1,
         name='superpixel'),
]
model = dict(losses=[dict(type='LogicLoss', background_index=None, constraints=logic_constraints)])
