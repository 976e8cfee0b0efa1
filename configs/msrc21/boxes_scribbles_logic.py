# Logic loss on simulated boxes + 3% scribbles (the CamVid logic row's constraints,
# configs/logic/camvid_boxes_scribbles.py). MSRC-21 has no background class, so every region
# gets a box and OutsideClassBoxes keeps each class inside its own boxes.
_base_ = ['./_base_.py']
weak_sources = [
    dict(type='Boxes', simulate=True, background_index=None),
    dict(type='Scribbles', simulate=True, coverage=0.03, seed=0),
]
train_dataloader = dict(dataset=dict(pipeline=[
    dict(type='LoadImage'),
    dict(type='LoadMask'),
    dict(type='LoadWeakLabels', sources=weak_sources),
    # superpixels of the whole 320x213 image, once per image, cropped with it
    dict(type='ComputeSuperpixels', method='slic', params=dict(n_segments=400)),
    dict(type='RandomCrop', size={{_base_.crop_size}}),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs', target='partial'),
]))
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
