# SAM vit_b, mask decoder fine-tuned with the logic loss on the CamVid train split, with
# simulated boxes + 3% scribbles. Needs the official checkpoint (not downloadable here):
#   python tools/pseudo_label.py configs/sam_logic/camvid_vit_b.py \
#       --checkpoint /path/to/sam_vit_b_01ec64.pth
# (from https://dl.fbaipublicfiles.com/segment_anything/sam_vit_b_01ec64.pth). A GPU is used
# when present. CamVid has no background class: every region gets a box, and pixels that no
# prompt claims with probability >= 0.5 stay 255 (undecided).
# Stage 2 then trains a prompt-free network on the masks (configs/stage2/camvid_pseudo.py style).
data_root = '../shared/data/camvid'
checkpoint = None           # set here or with --checkpoint
num_classes = 11
weak_sources = [
    dict(type='Boxes', simulate=True, background_index=None),
    dict(type='Scribbles', simulate=True, coverage=0.03, seed=0),
]
pseudo_pipeline = [
    dict(type='LoadImage'),
    dict(type='LoadMask'),
    dict(type='LoadWeakLabels', sources=weak_sources),
    dict(type='PackSegInputs', target='none'),
]
pseudo_dataset = dict(type='CamVidDataset', data_root=data_root, split='train', pipeline=pseudo_pipeline)
logic_loss = dict(type='LogicLoss', background_index=None, constraints=[
    dict(type='OutsideClassBoxes', weight=1.0),      # no background: classes stay in their boxes
    dict(type='BoxTightness', weight=1.0),
    dict(type='ScribbleClass', weight=1.0),
    dict(type='NeighbourSupport', connectivity=8, weight=0.1),
    dict(type='SuperpixelBorder', method='slic', params=dict(n_segments=200), weight=0.1),
])
pseudo_labeller = dict(
    type='SamLogicPseudoLabeller',
    sam=dict(type='vit_b', checkpoint=checkpoint),
    checkpoint=None,   # tools/pseudo_label.py --checkpoint lands here and is moved into sam
    num_classes=num_classes, background_index=None, loss=logic_loss,
    finetune_epochs=3, lr=1e-5, loss_size=256, threshold=0.5,
    on_empty='warn', keep_weak=True)
pseudo_out_dir = 'work_dirs/sam_logic_camvid_vit_b/pseudo_masks'
