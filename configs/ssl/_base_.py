# Self-supervised pretraining of the ResNet-18 trunk on a dataset's own unlabelled images
# (tools/pretrain_ssl.py; wsseg/ssl). 112-pixel view pairs, batch 32, AdamW 1e-3 with cosine
# decay, trunk at output stride 16 as in DeepLabV3+. The trunk is written to
# <work_dir>/trunk.pth (and trunk_iter<N>.pth at each budget); a training config loads it with
# one line: model = dict(net=dict(pretrained='<work_dir>/trunk.pth')).
_base_ = ['../_base_/default_runtime.py']
custom_imports = dict(imports=['wsseg.ssl', 'wsseg.engine', 'wsseg.models'], allow_failed_imports=False)
max_iters = 500
batch_size = 32
budgets = (125, 250, 500)     # trunk files for the pretraining-budget curve
folders = []                  # set by each dataset's config; tools/pretrain_ssl.py --folders adds more
model = dict(type='SSLPretrainer', method='densecl', depth=18, output_stride=16, proj_dim=128,
             temperature=0.2, dense_weight=0.5)
train_dataloader = dict(
    batch_size=batch_size, num_workers=1, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),   # the dataset shuffles, seeded (resume-exact)
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='UnlabelledImages', folders=folders, size=112, length=max_iters * batch_size,
                 seed=0, bad_data='stop'))
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=1e-3, weight_decay=1e-4))
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters)
param_scheduler = [dict(type='CosineAnnealingLR', T_max=max_iters, eta_min=1e-5, by_epoch=False)]
default_hooks = dict(checkpoint=dict(interval=100, max_keep_ckpts=2),
                     logger=dict(interval=10))
custom_hooks = [dict(type='SafeCheckpointHook'), dict(type='ExportTrunkHook', budgets=budgets)]
