# Second stage on CamVid: train an mmseg network on a mask folder (pseudo-masks or simulated
# scribbles, 255 = unlabelled), validate on the true masks.
# Switch network with the one line below:  'deeplabv3plus_r18.py'  <->  'mask2former_r50.py'.
_base_ = ['_base_/runtime.py', '_base_/mask_folder.py', '_base_/deeplabv3plus_r18.py']
# Where the training masks are, relative to data_root or absolute, e.g. the output of
# tools/simulate_weak_labels.py or tools/pseudo_label.py. Edit it here, or on the command line
# set the dataset key itself (a config variable is resolved when the file is read, so
# --cfg-options train_mask_dir=... would change nothing):
#   --cfg-options train_dataloader.dataset.data_prefix.seg_map_path=/path/to/masks
train_mask_dir = 'masks/train'
train_dataloader = dict(dataset=dict(data_prefix=dict(seg_map_path=train_mask_dir)))
