# Benchmark matrix of issue 15: the patch path on frames composed from REAL seafloor ROV patches
# (../shared/data/benthic_patches, configs/benthic/_base_.py: 96 train / 48 test frames of 5x8
# cells of 32 px, Strappy / Ferny / Rounded / Background). Every row is an ordinary config with the
# budget of configs/_base_/models/patch_classifier.py (6 epochs, batch 8, Adam 3e-4), trained by
# tools/train.py and scored on the test frames by its validation loop (the ensemble: tools/test.py).
# Run it all, with the SimCLR time, the refinement of the true patch map and the figure, by
#   OMP_NUM_THREADS=1 python tools/bench_patch.py --set benthic
dataset = ('frames composed from real ROV seafloor patches (benthic_patches, CoralNet point labels; 96 train / '
           '48 test frames of 256x160 px, grid 5x8 of 32 px cells, Strappy / Ferny / Rounded / Background; '
           'no patch in two splits)')
budget = ('Every row: ResNet-18 patch classifier, 6 epochs, batch 8, Adam 3e-4, uniform class weights, one CPU '
          'thread, seed 0 unless the row name ends in _s1 (training seed 1, same frames and SimCLR trunk); '
          'scores on the test frames in %. SimCLR: our own run (200 epochs, 3800 steps, chosen before any row ran) on the 1237 '
          'unlabelled train patches (no ImageNet weights exist here). Macro F1 / upper bound: against patch_supervised_simclr_benthic (seed 0) for every row. Pseudo-labels: what the row trained on in its last epoch, against the true train '
          'patch labels. Pixel mIoU: against the patch truth painted to pixels (the only pixel truth composed '
          'frames have), of the patch map painted, then refined by the patch-seeded CRF or SLIC superpixel voting.')
metrics = 'patch'
reference = 'patch_supervised_simclr_benthic'    # the upper bound with the SeaFeats row's init
append = 'docs/benchmark_results/benthic_patch_extras.md'      # written by tools/bench_patch.py --set benthic
columns = [('row', 'name'), ('trained on', 'weak'), ('method', 'method'), ('accuracy', 'accuracy'),
           ('macro F1', 'macro_F1'), ('weighted F1', 'weighted_F1'), ('macro F1 / upper bound', 'ratio:macro_F1'),
           ('patch mIoU', 'patch_mIoU'), ('pseudo-labels acc', 'pseudo/accuracy'),
           ('pseudo-labels macro F1', 'pseudo/macro_F1'), ('pixel mIoU painted', 'pixel_mIoU.coarse'),
           ('+ CRF', 'pixel_mIoU.crf'), ('+ superpixels', 'pixel_mIoU.superpixels'), ('wall time', 'wall'),
           ('peak RSS', 'rss')]
_wr = 'work_dirs/benchmarks'
_data = ['tools/bench_patch.py', '--set', 'benthic', '--data-only']
_ckpt = f'{_wr}/simclr200_benthic.pth'
_simclr = ['tools/pretrain_simclr.py', 'work_dirs/benthic_frames/train/patches', '--out', _ckpt,
           '--epochs', '200', '--size', '32', '--batch-size', '64', '--threads', '2', '--skip-existing']   # shared by five rows
_init = f'model.init_checkpoint={_ckpt}'
_members = [f'model.members.0.checkpoint={_wr}/seafeats_simclr_benthic/epoch_6.pth',
            f'model.members.1.checkpoint={_wr}/seaclip_random_clip_benthic/epoch_6.pth']
_ensemble = f'{_wr}/ensemble_random_clip_benthic/ensemble.pth'
rows = [
    dict(name='seafeats_simclr_benthic', weak='image labels', method='SeaFeats, SimCLR init',
         config='configs/benthic/seafeats_simclr_benthic.py', before=[_data, _simclr],
         extra_args=['--cfg-options', _init]),
    dict(name='seafeats_simclr_benthic_s1', weak='image labels', method='SeaFeats, SimCLR init, seed 1',
         config='configs/benthic/seafeats_simclr_benthic.py', before=[_data, _simclr],
         extra_args=['--cfg-options', _init, 'randomness.seed=1']),
    dict(name='seafeats_random_init_benthic', weak='image labels', method='SeaFeats, random init',
         config='configs/benthic/seafeats_random_init_benthic.py', before=[_data]),
    dict(name='seafeats_random_init_benthic_s1', weak='image labels', method='SeaFeats, random init, seed 1',
         config='configs/benthic/seafeats_random_init_benthic.py', before=[_data],
         extra_args=['--cfg-options', 'randomness.seed=1']),
    dict(name='seaclip_random_clip_benthic', weak='image labels', method='SeaCLIP, random-weight CLIP (CHANCE)',
         config='configs/benthic/seaclip_random_clip_benthic.py', before=[_data]),
    dict(name='ensemble_random_clip_benthic', weak='image labels',
         method='ensemble of SeaFeats (SimCLR, seed 0) and SeaCLIP (chance)',
         config='configs/benthic/ensemble_benthic.py',
         before=[['-m', 'wsseg.patch.make_ensemble', 'configs/benthic/ensemble_benthic.py', _ensemble,
                  '--cfg-options', *_members]],
         test_checkpoint=_ensemble, extra_args=['--cfg-options', *_members]),
    dict(name='image_label_baseline_benthic', weak='image labels', method='image label on every patch, SimCLR init',
         config='configs/benthic/image_label_baseline_benthic.py', before=[_data, _simclr],
         extra_args=['--cfg-options', _init]),
    dict(name='patch_supervised_simclr_benthic', weak='true patch labels', method='upper bound, SimCLR init',
         config='configs/benthic/patch_supervised_simclr_benthic.py', before=[_data, _simclr],
         extra_args=['--cfg-options', _init]),
    dict(name='patch_supervised_simclr_benthic_s1', weak='true patch labels', method='upper bound, SimCLR init, seed 1',
         config='configs/benthic/patch_supervised_simclr_benthic.py', before=[_data, _simclr],
         extra_args=['--cfg-options', _init, 'randomness.seed=1']),
    dict(name='patch_supervised_benthic', weak='true patch labels', method='upper bound, random init',
         config='configs/benthic/patch_supervised_benthic.py', before=[_data]),
]
