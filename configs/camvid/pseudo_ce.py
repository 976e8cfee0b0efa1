# The wsseg CamVid recipe (configs/camvid/_base_.py: DeepLabV3+ R18, AdamW, 3000 iterations) with
# plain CE on a mask folder instead of the true masks, e.g. pseudo-masks from tools/pseudo_label.py
# or tools/run_pipeline.py (255 = undecided, ignored). Beside configs/stage2/camvid_pseudo.py (mmseg
# DeepLabV3+ on the same folder) it splits "the labels" from "the recipe" in a chain's stage 2.
#   python tools/train.py configs/camvid/pseudo_ce.py \
#       --cfg-options train_dataloader.dataset.mask_dir=/path/to/masks
_base_ = ['./_base_.py']
pseudo_mask_dir = 'work_dirs/pipelines/camvid_scribbles_rloss_deeplab/pseudo_labels/masks'
train_dataloader = dict(dataset=dict(
    data_root='', split=None, img_dir='../shared/data/camvid/images/train', mask_dir=pseudo_mask_dir))
