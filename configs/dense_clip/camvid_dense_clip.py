# Text prompts -> dense pseudo-masks on CamVid with CLIP, no training (MaskCLIP style: the last
# attention block's value path of OpenAI's ViT-B/16, projected into the text space; each class's
# names filled into 12 templates and averaged; candidates restricted to each image's tags, which
# are simulated from the full masks; the patch probabilities upsampled and refined by the CRF).
# It needs the open_clip ViT-B-16 OpenAI weights as a local file (docs/methods/dense_clip.md says
# where to get them); without the file the run stops with an error naming it.
#   python tools/pseudo_label.py configs/dense_clip/camvid_dense_clip.py [--checkpoint FILE]
#   python tools/eval_masks.py ...   (scores the written masks against the ground truth)
clip_checkpoint = 'checkpoints/open_clip_vit_b16_openai.pt'
data_root = '../shared/data/camvid'
# CamVid's class names (CAMVID_CLASSES), with a synonym where the dataset's name is not plain English.
class_prompts = ['sky', 'building', ['pole', 'street light'], 'road', ['pavement', 'sidewalk'], 'tree',
                 ['sign', 'traffic sign'], 'fence', 'car', ['pedestrian', 'person'], ['bicyclist', 'bicycle']]
pseudo_pipeline = [
    dict(type='LoadImage'),
    dict(type='LoadMask'),
    dict(type='LoadWeakLabels', sources=[dict(type='Tags', simulate=True)]),
    dict(type='PackSegInputs', target='none'),
]
pseudo_dataset = dict(type='CamVidDataset', data_root=data_root, split='train', pipeline=pseudo_pipeline)
pseudo_out_dir = 'work_dirs/camvid_dense_clip/pseudo_masks'
# CamVid has no background class: every pixel takes one of the image's tags.
pseudo_labeller = dict(type='DenseClipLabeller', class_prompts=class_prompts, model_name='ViT-B-16-quickgelu',
                       checkpoint=clip_checkpoint, short_side=448, background_index=None, use_tags=True,
                       refine='crf', refine_cfg=dict(n_iters=8, sigma_rgb=10.0, sigma_xy=40.0), min_confidence=0.0)
randomness = dict(seed=0)
