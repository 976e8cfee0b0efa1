# PASCAL VOC 2012 end to end: your boxes (Annotations/*.xml) + ScribbleSup scribbles ->
# SAM vit_b with its mask decoder fine-tuned under the logic loss -> pseudo-masks -> their
# quality against SegmentationClassAug -> mmseg Mask2Former R50 trained on them -> val mIoU.
# Set voc_root and sam_checkpoint here or on the command line (docs/getting_started.md):
#   python tools/run_pipeline.py configs/pipelines/voc_boxes_scribbles_sam_m2f.py \
#       --cfg-options voc_root=/data/VOCdevkit/VOC2012 sam_checkpoint=/data/sam_vit_b_01ec64.pth
# (${name} strings are filled in from these top-level settings when the pipeline runs.)
voc_root = 'data/VOCdevkit/VOC2012'
sam_checkpoint = 'checkpoints/sam_vit_b_01ec64.pth'   # https://dl.fbaipublicfiles.com/segment_anything/sam_vit_b_01ec64.pth
work_dir = 'work_dirs/pipelines/voc_boxes_scribbles_sam_m2f'
classes = ('background', 'aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat',
           'chair', 'cow', 'diningtable', 'dog', 'horse', 'motorbike', 'person', 'pottedplant',
           'sheep', 'sofa', 'train', 'tvmonitor')
train_split = dict(type='VOCDataset', data_root='${voc_root}', split='train_aug',
                   mask_dir='SegmentationClassAug', with_boxes=True, scribble_dir='scribbles')
stored = dict(type='LoadWeakLabels', sources=[dict(type='StoredWeakLabels', weak_dir='${weak_dir}')])

# 1. read (not simulated): boxes from the XML files, scribbles from scribbles/<id>.xml or .png
weak_labels = dict(dataset=train_split, sources=[dict(type='Boxes'), dict(type='Scribbles')])

# 2. SAM, one prompt per box (+ scribble points), decoder tuned under the logic constraints
pseudo_labels = dict(
    labeller=dict(
        type='SamLogicPseudoLabeller', sam=dict(type='vit_b', checkpoint='${sam_checkpoint}'),
        num_classes=len(classes), class_names=classes, background_index=0,
        loss=dict(type='LogicLoss', background_index=0, constraints=[
            dict(type='OutsideBoxesBackground', weight=1.0),
            dict(type='BoxTightness', weight=1.0),
            dict(type='ScribbleClass', weight=1.0),
            dict(type='NeighbourSupport', connectivity=8, weight=0.1),
            dict(type='SuperpixelBorder', method='slic', params=dict(n_segments=200), weight=0.1)]),
        finetune_epochs=3, lr=1e-5, loss_size=256, threshold=0.5, on_empty='warn', keep_weak=True,
        cache_dir='${work_dir}/sam_cache'),
    dataset=dict(train_split, pipeline=[dict(type='LoadImage'), stored,
                                        dict(type='PackSegInputs', target='none')]))

# 3. against SegmentationClassAug, where the split has it
quality = dict(pictures=6)

# 4. Mask2Former on the pseudo-masks of the train_aug ids; 5. VOC val
stage2 = dict(config='configs/stage2/voc_pseudo_m2f.py', cfg_options={
    'train_dataloader.dataset.data_root': '${voc_root}', 'val_dataloader.dataset.data_root': '${voc_root}',
    'test_dataloader.dataset.data_root': '${voc_root}',
    'train_dataloader.dataset.data_prefix.seg_map_path': '${pseudo_dir}'})
evaluate = dict()
