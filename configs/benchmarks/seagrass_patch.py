# Benchmark matrix of issue 4: the patch path on the synthetic seagrass frames (40 train / 16
# test, 232x130 px, 5x8 grid). Every row is an ordinary config with the budget of
# configs/_base_/models/patch_classifier.py (6 epochs, batch 8, Adam 3e-4, seed 0), trained by
# tools/train.py and scored by its validation loop (the ensemble: tools/test.py). Run it all,
# with the SimCLR time, throughput ratio, oracle refinement and figure, by
#   OMP_NUM_THREADS=1 python tools/bench_patch.py
# or only the rows by
#   OMP_NUM_THREADS=1 python tools/benchmark.py --matrix configs/benchmarks/seagrass_patch.py
dataset = 'synthetic seagrass frames (40 train / 16 test, 232x130 px, grid 5x8, Strappy / Ferny / Rounded / Background)'
budget = ('Every row: ResNet-18 patch classifier, 6 epochs, batch 8, Adam 3e-4, seed 0, one CPU thread; '
          'scores on the test frames in %. Pseudo-labels: what the row trained on in its last epoch, against '
          'the true train patch labels. Pixel mIoU: the predicted patch map painted onto pixels, then refined by '
          'the patch-seeded CRF, SLIC superpixel voting, or SAM prompted by the patch map (a random-weight small '
          'SAM: no SAM checkpoint exists here, so that column measures plumbing, not quality).')
metrics = 'patch'
reference = 'patch_supervised_simclr_synth'    # the upper bound with the best row's init
append = 'docs/benchmark_results/seagrass_patch_extras.md'      # written by tools/bench_patch.py
_wr = 'work_dirs/benchmarks'
_data = ['tools/bench_patch.py', '--data-only']
_simclr = ['tools/pretrain_simclr.py', 'work_dirs/seagrass_synth/train/frames', '--out', f'{_wr}/simclr_seagrass.pth',
           '--epochs', '8', '--size', '64', '--batch-size', '20', '--skip-existing']   # shared by two rows
_members = [f'model.members.0.checkpoint={_wr}/seafeats_simclr_synth/epoch_6.pth',
            f'model.members.1.checkpoint={_wr}/seaclip_random_clip_synth/epoch_6.pth']
_ensemble = f'{_wr}/ensemble_random_clip_synth/ensemble.pth'
_sam_val = ['val_evaluator.1.sam.type=small']     # build_small_sam defaults, random weights, seed 0
rows = [
    dict(name='seafeats_simclr_synth', weak='image labels', method='SeaFeats, SimCLR init',
         config='configs/seafeats/seafeats_simclr_synth.py', before=[_data, _simclr],
         extra_args=['--cfg-options', f'model.init_checkpoint={_wr}/simclr_seagrass.pth', *_sam_val]),
    dict(name='seafeats_random_init_synth', weak='image labels', method='SeaFeats, random init',
         config='configs/seafeats/seafeats_random_init_synth.py', before=[_data],
         extra_args=['--cfg-options', *_sam_val]),
    dict(name='seaclip_random_clip_synth', weak='image labels', method='SeaCLIP, random-weight CLIP (chance)',
         config='configs/seaclip/seaclip_random_clip_synth.py', before=[_data],
         extra_args=['--cfg-options', *_sam_val]),
    dict(name='ensemble_random_clip_synth', weak='image labels', method='ensemble of the two rows above',
         config='configs/ensemble/ensemble_synth.py',
         before=[['-m', 'wsseg.patch.make_ensemble', 'configs/ensemble/ensemble_synth.py', _ensemble,
                  '--cfg-options', *_members]],
         test_checkpoint=_ensemble, extra_args=['--cfg-options', *_members, 'test_evaluator.1.sam.type=small']),
    dict(name='patch_supervised_simclr_synth', weak='true patch labels', method='upper bound, SimCLR init',
         config='configs/seafeats/patch_supervised_simclr_synth.py', before=[_data, _simclr],
         extra_args=['--cfg-options', f'model.init_checkpoint={_wr}/simclr_seagrass.pth', *_sam_val]),
    dict(name='patch_supervised_synth', weak='true patch labels', method='upper bound, random init',
         config='configs/seafeats/patch_supervised_synth.py', before=[_data],
         extra_args=['--cfg-options', *_sam_val]),
    dict(name='image_label_baseline_synth', weak='image labels', method='image label on every patch',
         config='configs/seafeats/image_label_baseline_synth.py', before=[_data],
         extra_args=['--cfg-options', *_sam_val]),
]
