# Runtime shared by every wsseg config (mmengine Runner).
default_scope = 'wsseg'
# WssegRunner (wsseg/engine/runner.py): atomic and finite checkpoints loaded weights_only,
# exact resume, and under torchrun without CUDA gloo instead of the nccl named below.
runner_type = 'wsseg.WssegRunner'
custom_imports = dict(imports=['wsseg.datasets', 'wsseg.weak', 'wsseg.models', 'wsseg.losses',
                               'wsseg.evaluation', 'wsseg.engine'], allow_failed_imports=False)
env_cfg = dict(cudnn_benchmark=False, mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
               dist_cfg=dict(backend='nccl'))
randomness = dict(seed=0, deterministic=False)
log_processor = dict(by_epoch=False, window_size=20)
log_level = 'INFO'
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=20, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='AtomicCheckpointHook', by_epoch=False, interval=500, max_keep_ckpts=2,
                    save_last=True),
    sampler_seed=dict(type='DistSamplerSeedHook'))
# SafeCheckpointHook: checkpoints load with torch.load(weights_only=True), no allow-listing.
custom_hooks = [dict(type='SetIterationHook'), dict(type='SafeCheckpointHook')]
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='Visualizer', vis_backends=vis_backends)
load_from = None
resume = False
