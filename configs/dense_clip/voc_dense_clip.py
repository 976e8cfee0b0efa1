# Text prompts -> dense pseudo-masks on PASCAL VOC 2012 with CLIP ViT-B/16 (MaskCLIP style, no
# training), candidates restricted to each image's tags read from its Annotations XML, plus
# background. Background is described by one averaged embedding of common scene names.
# Give your VOC2012 folder and the local open_clip weights (docs/methods/dense_clip.md):
#   python tools/pseudo_label.py configs/dense_clip/voc_dense_clip.py \
#       --checkpoint checkpoints/open_clip_vit_b16_openai.pt \
#       --cfg-options pseudo_dataset.data_root=data/VOCdevkit/VOC2012
#   python tools/eval_masks.py work_dirs/voc_dense_clip/pseudo_masks <voc_root>/SegmentationClass --num-classes 21
voc_root = 'data/VOCdevkit/VOC2012'   # from the command line: pseudo_dataset.data_root=...
clip_checkpoint = 'checkpoints/open_clip_vit_b16_openai.pt'
# VOC_CLASSES in index order; a list gives synonyms whose templates are averaged together.
class_prompts = [
    ['background', 'sky', 'wall', 'floor', 'ground', 'grass', 'road', 'building', 'tree', 'water'],
    ['aeroplane', 'airplane'], 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat', 'chair', 'cow',
    ['dining table', 'table'], 'dog', 'horse', ['motorbike', 'motorcycle'], ['person', 'people'],
    ['potted plant', 'plant in a pot'], 'sheep', 'sofa', 'train', ['tv monitor', 'television']]
pseudo_pipeline = [
    dict(type='LoadImage'),
    dict(type='LoadWeakLabels', sources=[dict(type='Tags')]),   # the tags of the XML objects
    dict(type='PackSegInputs', target='none'),
]
pseudo_dataset = dict(type='VOCDataset', data_root=voc_root, split='train', mask_dir=None, with_tags=True,
                      pipeline=pseudo_pipeline)
pseudo_out_dir = 'work_dirs/voc_dense_clip/pseudo_masks'
pseudo_labeller = dict(type='DenseClipLabeller', class_prompts=class_prompts, model_name='ViT-B-16-quickgelu',
                       checkpoint=clip_checkpoint, short_side=448, background_index=0, use_tags=True,
                       refine='crf', refine_cfg=dict(n_iters=8, sigma_rgb=10.0, sigma_xy=40.0), min_confidence=0.0)
randomness = dict(seed=0)
