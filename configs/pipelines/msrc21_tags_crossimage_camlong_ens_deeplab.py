# msrc21_tags_crossimage_camlong_deeplab.py with an ensemble of two CAM classifiers: the same
# 1200-iteration config trained with seeds 0 and 1 (one after the other, each resumable in
# pseudo_labels/train_cam_s<seed>/). Refinement (d) averages their CAMs and pools both trunks'
# features (CamPseudoLabeller's `ensemble`): classifiers trained from scratch on 276 images
# score alike but err on different classes (docs/benchmarks.md, the classifier's seed noise).
#   python tools/run_pipeline.py configs/pipelines/msrc21_tags_crossimage_camlong_ens_deeplab.py
_base_ = ['./msrc21_tags_crossimage_camlong_deeplab.py']
work_dir = 'work_dirs/pipelines/msrc21_tags_crossimage_camlong_ens_deeplab'
cam_data = {'train_dataloader.dataset.data_root': '${data_root}', 'val_dataloader.dataset.data_root': '${data_root}'}
pseudo_labels = dict(
    train=[dict(name=f'cam_s{seed}', config='configs/cam/msrc21_tags_cam_long.py', weak_loader={{_base_.stored}},
                cfg_options={**cam_data, 'randomness.seed': seed}) for seed in (0, 1)],
    labeller=dict(checkpoint='${checkpoint_cam_s0}', ensemble=['${checkpoint_cam_s1}']))
