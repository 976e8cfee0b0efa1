"""Speed ratios for the SAM / logic-loss path, from one run (CPU, random weights).

    python tools/bench_sam.py [--threads 1] [--images 8] [--epochs 2] [--no-doc]

1. Mask-decoder fine-tune epoch (the ``SamLogicPseudoLabeller`` step: decode the prompts, logic
   loss, AdamW update) with image embeddings read from the on-disk cache vs recomputed by the
   image encoder at every step, for small random-weight SAMs on synthetic scenes.
   Also, for full-size vit_b (random weights, 1024 input, one image): encoder forward time
   against one decoder fine-tune step, i.e. the per-image cost without and with the cache.
2. One training step (forward, backward, SGD update) of DeepLabV3+ R18 (the network of
   ``configs/camvid/_base_.py``) with the logic loss of ``configs/logic/camvid_boxes_scribbles.py``
   vs cross-entropy, on the same CamVid batch (8 crops of 128x128 with simulated boxes and
   scribbles).

Prints a table and writes it to the ``sam_speed`` section of docs/benchmarks.md. All weights
are random; the ratios measure compute, not segmentation quality.
"""
from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.dataset import pseudo_collate  # noqa: E402

from tools.benchmark import publish  # noqa: E402
from wsseg.utils.setup_env import register_all_modules  # noqa: E402

SMALL_SAMS = {
    'small-128 (config)': dict(type='small', image_size=128, patch_size=8, encoder_dim=64,
                               encoder_depth=2, prompt_dim=32, seed=0),
    'small-256': dict(type='small', image_size=256, patch_size=16, encoder_dim=96,
                      encoder_depth=4, encoder_heads=4, prompt_dim=32, window_size=7, seed=0),
}


def best_of(fn, repeats: int) -> float:
    """Minimum wall time of ``repeats`` calls (seconds)."""
    return min(alternate({'f': fn}, repeats)['f'])


def alternate(fns: dict, repeats: int) -> dict[str, list[float]]:
    """Wall times of ``repeats`` rounds, each calling every function once in turn, so load
    on a shared machine hits all of them alike (compare their medians)."""
    times = {k: [] for k in fns}
    for _ in range(repeats):
        for k, fn in fns.items():
            t = time.perf_counter()
            fn()
            times[k].append(time.perf_counter() - t)
    return times


def scene_samples(root: Path, n: int) -> list:
    """``n`` synthetic 128x128 scenes with simulated boxes + scribbles, as (img, weak, path)."""
    from wsseg.datasets.synthetic import SCENE_CLASSES, make_scenes
    from wsseg.pseudo.sam_prompts import unpack
    from wsseg.registry import DATASETS
    make_scenes(root, splits={'train': n}, size=(128, 128), seed=0)
    pipeline = [dict(type='LoadImage'), dict(type='LoadMask'),
                dict(type='LoadWeakLabels', sources=[dict(type='Boxes', simulate=True, background_index=0),
                                                     dict(type='Scribbles', simulate=True, coverage=0.03)]),
                dict(type='PackSegInputs', target='none')]
    ds = DATASETS.build(dict(type='FolderDataset', data_root=str(root), classes=SCENE_CLASSES,
                             split='train', pipeline=pipeline))
    return [unpack(ds.pipeline(dict(ds.get_data_info(i)))) for i in range(len(ds))]


def bench_decoder(samples: list, work: Path, epochs: int, repeats: int) -> list[dict]:
    """Per small SAM: seconds per fine-tune epoch with cached vs recomputed embeddings."""
    from wsseg.pseudo.sam_logic import SamLogicPseudoLabeller, default_constraints
    rows = []
    for name, sam_cfg in SMALL_SAMS.items():
        labs = {}
        for mode in ('cached', 'uncached'):
            lab = SamLogicPseudoLabeller(
                sam=dict(sam_cfg), num_classes=5, background_index=0, finetune_epochs=epochs,
                loss=dict(type='LogicLoss', constraints=default_constraints(0)), lr=1e-3,
                loss_size=128, cache_dir=str(work / 'cache' / name) if mode == 'cached' else None,
                device='cpu')
            if mode == 'cached':
                for img, _, _ in samples:           # fill the disk cache first (not timed)
                    lab.embed(img)
            lab.finetune(samples[:1])               # warm-up (superpixels, allocator)
            labs[mode] = lab
        t = alternate({m: (lambda lab=lab: lab.finetune(samples)) for m, lab in labs.items()}, repeats)
        times = {m: statistics.median(v) / epochs for m, v in t.items()}
        rows.append(dict(name=name, cached=times['cached'], uncached=times['uncached'],
                         hits=labs['cached'].cache().hits))
        print(f'{name}: cached {times["cached"]:.3f} s/epoch, uncached {times["uncached"]:.3f} s/epoch')
    return rows


def bench_vit_b(sample: tuple, repeats: int) -> dict:
    """Full-size SAM vit_b (random weights, 1024 input): encoder forward vs one decoder step."""
    from segment_anything import sam_model_registry

    from wsseg.models.sam import preprocess_image
    from wsseg.pseudo.sam_logic import SamLogicPseudoLabeller, default_constraints
    torch.manual_seed(0)
    lab = SamLogicPseudoLabeller(sam=sam_model_registry['vit_b'](), num_classes=5, background_index=0,
                                 loss=dict(type='LogicLoss', constraints=default_constraints(0)),
                                 loss_size=256, cache_dir=None, device='cpu')
    img, weak, path = sample
    with torch.no_grad():
        x = preprocess_image(lab.sam, img)
        t = time.perf_counter()
        emb = lab.sam.image_encoder(x)[0]               # timed once: it is the slow part
        enc = time.perf_counter() - t
    prompts = lab.prompts_for(weak)
    size, batch = lab.loss_step_inputs(img, weak, path)
    opt = torch.optim.AdamW(lab.sam.mask_decoder.parameters(), lr=1e-5)
    step = lambda: lab.train_step(opt, img, prompts, size, batch, embedding=emb)  # noqa: E731
    step()
    dec = best_of(step, repeats)
    print(f'vit_b: encoder {enc:.2f} s, decoder step {dec:.3f} s')
    return dict(encoder=enc, step=dec, prompts=len(prompts))


def camvid_batch(data_root: str, n: int) -> dict:
    """``n`` CamVid training crops (128x128) with simulated boxes + scribbles, packed with the
    full mask as target (so CE and the logic loss see the same images)."""
    from wsseg.registry import DATASETS
    pipeline = [dict(type='LoadImage'), dict(type='LoadMask'),
                dict(type='LoadWeakLabels', sources=[dict(type='Boxes', simulate=True, background_index=None),
                                                     dict(type='Scribbles', simulate=True, coverage=0.03)]),
                dict(type='RandomCrop', size=(128, 128)), dict(type='PackSegInputs', target='gt')]
    ds = DATASETS.build(dict(type='CamVidDataset', data_root=data_root, split='train', pipeline=pipeline))
    np.random.seed(0)
    return pseudo_collate([ds[i] for i in range(n)])


def bench_losses(batch: dict, repeats: int) -> dict:
    """Seconds per training step, CE (configs/camvid/full_ce.py) vs logic loss, same net init."""
    from wsseg.registry import MODELS

    def make_step(cfg_path: str):
        cfg = Config.fromfile(str(REPO / cfg_path))
        torch.manual_seed(0)
        model = MODELS.build(cfg.model)
        model.train()
        opt = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)

        def step():
            data = model.data_preprocessor(batch, training=True)
            losses = model(**data, mode='loss')
            loss = sum(v for k, v in losses.items() if k.startswith('loss'))
            opt.zero_grad()
            loss.backward()
            opt.step()
        step()                                       # warm-up
        return step
    steps = {'ce': make_step('configs/camvid/full_ce.py'),
             'logic': make_step('configs/logic/camvid_boxes_scribbles.py')}
    out = {k: statistics.median(v) for k, v in alternate(steps, repeats).items()}
    for name, t in out.items():
        print(f'{name} step: {t:.3f} s (median)')
    return out


def table(dec: list[dict], steps: dict, vitb: dict | None, args) -> str:
    lines = [
        f'Measured by `tools/bench_sam.py` on CPU ({platform.processor() or platform.machine()}, '
        f'torch {torch.__version__}, {args.threads} thread(s)), median of {args.repeats} rounds that '
        'alternate the two timings of each ratio (vit_b: encoder once, decoder step best of the rounds). '
        '**All weights are random** (no SAM checkpoint is reachable here): the ratios measure '
        'compute, not mask quality. No GPU was available: the vit_b row is on the CPU too. The '
        'machine was shared with other jobs, so absolute times are noisy; alternating puts the '
        'same load on both sides of a ratio.',
        '',
        '| measurement | setting | time | ratio |',
        '|---|---|---|---|',
    ]
    for r in dec:
        lines.append(f'| SAM decoder fine-tune epoch, cached vs uncached embeddings | {r["name"]}, '
                     f'{args.images} synthetic 128x128 images, logic loss at 128 px | '
                     f'{r["cached"]:.3f} s vs {r["uncached"]:.3f} s | '
                     f'uncached / cached = **{r["uncached"] / r["cached"]:.2f}x** |')
    if vitb:
        lines.append(f'| SAM vit_b (random weights, 1024 input), one image: encoder forward + decoder step '
                     f'vs decoder step alone | {vitb["prompts"]} prompts, logic loss at 256 px, encoder timed '
                     f'once | {vitb["encoder"] + vitb["step"]:.2f} s vs {vitb["step"]:.3f} s | '
                     f'uncached / cached = **{(vitb["encoder"] + vitb["step"]) / vitb["step"]:.1f}x** |')
    lines.append(f'| training step, logic loss vs CE | DeepLabV3+ R18 (configs/camvid/_base_.py), '
                 f'batch {args.batch} CamVid crops 128x128, logic loss of '
                 f'configs/logic/camvid_boxes_scribbles.py | {steps["logic"]:.3f} s vs {steps["ce"]:.3f} s | '
                 f'logic / CE = **{steps["logic"] / steps["ce"]:.2f}x** |')
    lines += ['', 'The logic-loss step times the constraints, not SLIC: the same batch repeats, so its '
              'superpixels come from the cache, as in training, where ComputeSuperpixels segments each '
              'whole image once. The CE step runs the network forward in bfloat16 (the CamVid base '
              'config); the logic loss itself runs in float32. The embedding cache gains little for '
              'the tiny test SAMs, whose encoders cost about as much as a decoder step, and most for '
              'full-size encoders (vit_b row).']
    return '\n'.join(lines)


def main(argv=None) -> str:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--threads', type=int, default=1, help='torch intra-op threads (default 1)')
    p.add_argument('--images', type=int, default=8, help='synthetic images per fine-tune epoch')
    p.add_argument('--epochs', type=int, default=1, help='epochs per timed fine-tune')
    p.add_argument('--repeats', type=int, default=5)
    p.add_argument('--batch', type=int, default=8)
    p.add_argument('--camvid', default=str(REPO.parent / 'shared' / 'data' / 'camvid'))
    p.add_argument('--doc', default='docs/benchmarks.md')
    p.add_argument('--no-doc', action='store_true', help='print only')
    p.add_argument('--no-vit-b', action='store_true', help='skip the full-size vit_b timing')
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    register_all_modules()
    with tempfile.TemporaryDirectory(prefix='bench_sam_') as tmp:
        samples = scene_samples(Path(tmp) / 'scenes', args.images)
        dec = bench_decoder(samples, Path(tmp), args.epochs, args.repeats)
        vitb = None if args.no_vit_b else bench_vit_b(samples[0], args.repeats)
    steps = bench_losses(camvid_batch(args.camvid, args.batch), args.repeats)
    body = table(dec, steps, vitb, args)
    return publish(body, REPO / args.doc, 'sam_speed', not args.no_doc)


if __name__ == '__main__':
    main()
