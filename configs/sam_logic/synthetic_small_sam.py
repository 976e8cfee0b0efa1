# SAM logic fine-tune, end to end on CPU in about a minute, with no checkpoint:
#   python tools/pseudo_label.py configs/sam_logic/synthetic_small_sam.py
# A *random-weight* small SAM (segment_anything's own modules at small dims) on synthetic
# scenes (wsseg.datasets.synthetic.make_scenes) with simulated boxes + 3% scribbles. The
# masks show that the pipeline runs; their quality says nothing about real SAM weights.
_base_ = ['../_base_/default_runtime.py']
data_root = 'work_dirs/sam_logic_synthetic/data'
classes = ('background', 'disc', 'square', 'triangle', 'stripes')
num_classes = len(classes)

# The scenes are generated (deterministically, atomic writes) the first time the config is read.
import os.path as _osp  # noqa: E402
if not _osp.isdir(_osp.join(data_root, 'images', 'train')):
    from wsseg.datasets.synthetic import make_scenes as _make_scenes
    _make_scenes(data_root, splits={'train': 12}, size=(128, 128), seed=0, classes=classes)

weak_sources = [
    dict(type='Boxes', simulate=True, background_index=0),
    dict(type='Scribbles', simulate=True, coverage=0.03, seed=0),
]
pseudo_pipeline = [
    dict(type='LoadImage'),
    dict(type='LoadMask'),
    dict(type='LoadWeakLabels', sources=weak_sources),
    dict(type='PackSegInputs', target='none'),
]
pseudo_dataset = dict(type='FolderDataset', data_root=data_root, classes=classes, split='train',
                      pipeline=pseudo_pipeline)
logic_loss = dict(type='LogicLoss', background_index=0, constraints=[
    dict(type='OutsideBoxesBackground', weight=1.0),
    dict(type='BoxTightness', weight=1.0),
    dict(type='ScribbleClass', weight=1.0),
    dict(type='NeighbourSupport', connectivity=8, weight=0.1),
    dict(type='SuperpixelBorder', method='slic', params=dict(n_segments=100), weight=0.1),
])
pseudo_labeller = dict(
    type='SamLogicPseudoLabeller',
    sam=dict(type='small', image_size=128, patch_size=8, encoder_dim=64, encoder_depth=2,
             prompt_dim=32, seed=0),
    num_classes=num_classes, class_names=classes, background_index=0, loss=logic_loss,
    finetune_epochs=10, lr=1e-3, loss_size=128, threshold=0.5,
    on_empty='warn', keep_weak=True)
pseudo_out_dir = 'work_dirs/sam_logic_synthetic/pseudo_masks'
