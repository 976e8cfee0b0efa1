# Seagrass end to end from image labels (the seagrass paper's path, then beyond it):
#   1. weak labels: each frame's image label, from its class folder (DeepSeagrass layout);
#   2. pseudo-labels: SeaFeats (SimCLR init) and SeaCLIP patch classifiers trained on the frames,
#      their standardised-logit ensemble, its patch map refined to pixels by the patch-seeded CRF;
#   3. quality of the pixel masks (needs pixel truth: the synthetic frames have it);
#   4. second stage: a pixel DeepLabV3+ trained on them; 5. its mIoU on the test frames.
# Data: the synthetic frames (python tools/bench_patch.py --data-only -> work_dirs/seagrass_synth)
# or your DeepSeagrass copy (data_root=<...>/SeparatedIntoClasses/Images with split=None; it has
# no pixel truth: drop `quality` and `evaluate`). Checkpoints (none can be downloaded here):
#   simclr_checkpoint: python tools/pretrain_simclr.py <data_root>/train/frames --out <it>
#   clip_checkpoint:   open_clip ViT-B-32 weights (e.g. the 'openai' release), saved locally
#   python tools/run_pipeline.py configs/pipelines/deepseagrass_ensemble.py \
#       --cfg-options data_root=... simclr_checkpoint=... clip_checkpoint=...
work_dir = 'work_dirs/pipelines/deepseagrass_ensemble'
data_root = 'work_dirs/seagrass_synth'
simclr_checkpoint = 'work_dirs/simclr_seagrass.pth'
clip_checkpoint = 'checkpoints/open_clip_vit_b32_openai.bin'
classes = ('Strappy', 'Ferny', 'Rounded', 'Background')
frames = dict(type='DeepSeagrassFrames', data_root='${data_root}', split='train/frames', class_order=classes)
env = dict(SEAGRASS_SYNTH='${data_root}')       # the patch configs read their data root from it
member = dict(type='PatchClassifier', num_classes=len(classes), grid=(5, 8))

weak_labels = dict(dataset=frames, sources=[dict(type='Tags')])

pseudo_labels = dict(
    train=[dict(name='seafeats', config='configs/seafeats/seafeats_simclr_synth.py', env=env,
                cfg_options={'model.init_checkpoint': '${simclr_checkpoint}'}),
           dict(name='seaclip', config='configs/seaclip/seaclip_synth.py', env=env,
                cfg_options={'train_dataloader.dataset.pipeline.2.sources.0.checkpoint': '${clip_checkpoint}'})],
    labeller=dict(type='PatchMapPseudoLabeller', refine='crf', model=dict(
        type='PatchEnsemble',
        members=[dict(model=dict(member, label_source='seafeats'), checkpoint='${checkpoint_seafeats}'),
                 dict(model=dict(member, label_source='weak'), checkpoint='${checkpoint_seaclip}')])),
    dataset=dict(frames, pipeline=[dict(type='LoadImage'), dict(type='PackPatchInputs')]))

quality = dict(dataset=dict(frames, mask_dir='${data_root}/train/pixel_masks'))

stage2 = dict(config='configs/stage2/seagrass_frames_deeplab.py', env=env,
              cfg_options={'train_dataloader.dataset.mask_dir': '${pseudo_dir}'})
evaluate = dict()
