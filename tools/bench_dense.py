"""Cost of the dense CRF loss, from one run: ``python tools/bench_dense.py [--steps 6]``.

1. Speed: a training step (forward, losses, backward, SGD step) of the CamVid benchmark's
   network (DeepLabV3+ R18 from ``configs/camvid/_base_.py``) at its batch (8) and crop
   (128x128), with partial CE alone and with partial CE + ``DenseCRFLoss`` (as configured in
   ``configs/rloss/_regularisers_.py``). Steps alternate between the two so machine load hits
   both alike; the median step time of each gives the ratio. On CUDA too when available.
2. Memory: peak RSS added by one CRF-loss forward + backward at 512x512, batch 4 (K classes),
   on CPU, each measured in its own subprocess (peak RSS, ``VmHWM`` = the kernel's
   ``ru_maxrss`` counter for this process, after the loss minus the RSS before it, with the
   peak counter reset first; Linux).

Prints a table and writes it to the ``dense_speed`` section of docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402
from mmengine.config import Config  # noqa: E402
from tqdm import tqdm  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
CRF_CFG = {k: v for k, v in Config.fromfile(str(REPO / 'configs/rloss/_regularisers_.py')).crf_loss.items()
           if k not in ('start_iter', 'ramp_iters')}


def build_model(device: str, losses: list[dict]):
    """The CamVid benchmark's WeakSegmentor (DeepLabV3+ R18) with ``losses``, seed-0 weights."""
    from wsseg.registry import MODELS
    from wsseg.utils.setup_env import register_all_modules
    register_all_modules()
    cfg = Config.fromfile(str(REPO / 'configs/camvid/_base_.py')).model
    torch.manual_seed(0)
    return MODELS.build(dict(cfg, losses=losses)).to(device), int(cfg.net.num_classes)


def build_models(device: str):
    """Two WeakSegmentors with identical weights: pCE, and pCE + CRF loss."""
    pce, k = build_model(device, [dict(type='PartialCrossEntropy')])
    crf, _ = build_model(device, [dict(type='PartialCrossEntropy'), CRF_CFG])
    crf.load_state_dict(pce.state_dict())
    return pce, crf, k


def make_batch(model, k: int, batch: int, size: int, device: str) -> dict:
    """Random uint8 images and 3% labelled pixels, through the model's data preprocessor."""
    from wsseg.datasets.transforms import SegSample
    g = torch.Generator().manual_seed(0)
    images, samples = [], []
    for i in range(batch):
        images.append((torch.rand(3, size, size, generator=g) * 255).to(torch.uint8))
        target = torch.randint(0, k, (size, size), generator=g)
        target[torch.rand(size, size, generator=g) > 0.03] = 255
        samples.append(SegSample(img_path=f'random_{i}', img_id=str(i), ori_shape=(size, size),
                                 img_shape=(size, size), target=target))
    return model.data_preprocessor(dict(inputs=images, data_samples=samples), True)


def step_time(model, opt, data: dict, device: str) -> float:
    if device == 'cuda':
        torch.cuda.synchronize()
    t = time.perf_counter()
    loss = sum(model(**data, mode='loss').values())
    opt.zero_grad()
    loss.backward()
    opt.step()
    if device == 'cuda':
        torch.cuda.synchronize()
    return time.perf_counter() - t


def speed(device: str, steps: int, batch: int, size: int) -> dict:
    pce, crf, k = build_models(device)
    data = make_batch(pce, k, batch, size, device)
    opts = {m: torch.optim.SGD(m.parameters(), lr=1e-3, momentum=0.9) for m in (pce, crf)}
    for m in (pce, crf):          # warm-up
        step_time(m, opts[m], data, device)
    times = {'pce': [], 'crf': []}
    for _ in tqdm(range(steps), desc=f'steps on {device}'):
        times['pce'].append(step_time(pce, opts[pce], data, device))
        times['crf'].append(step_time(crf, opts[crf], data, device))
    med = {k: statistics.median(v) for k, v in times.items()}
    return dict(device=device, pce_s=med['pce'], crf_s=med['crf'], ratio=med['crf'] / med['pce'])


def _status_kb(field: str) -> int:
    """``VmRSS`` (now) or ``VmHWM`` (peak) of this process from /proc/self/status, in kB."""
    for line in Path('/proc/self/status').read_text().splitlines():
        if line.startswith(field + ':'):
            return int(line.split()[1])
    raise RuntimeError(f'bench_dense: no {field} in /proc/self/status (Linux only)')


def _rss_child(k: int, batch: int, size: int, crf_cfg: dict) -> None:
    """Runs in a subprocess: prints the extra peak RSS (MB) of one CRF forward + backward.

    Only the loss module is imported, the inputs are allocated first, and the kernel's peak
    counter is reset (``/proc/self/clear_refs`` = 5), so the peak after the loss minus the RSS
    before it is what the loss itself added. The peak is read as ``VmHWM``, the same counter
    as ``ru_maxrss``, because ``getrusage`` also reports the peak inherited from the forking
    parent at exec (the parent is large after the speed run), which the reset cannot clear."""
    from wsseg.losses.base import SegBatch
    from wsseg.losses.crf_loss import DenseCRFLoss
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(0)
    cfg = {k_: v for k_, v in crf_cfg.items() if k_ != 'type'}
    loss = DenseCRFLoss(**cfg)
    logits = torch.randn(batch, k, size, size, generator=g, requires_grad=True)
    b = SegBatch(images=torch.rand(batch, 3, size, size, generator=g),
                 target=torch.full((batch, size, size), 255))
    logits.grad = torch.zeros_like(logits)        # the gradient buffer belongs to the baseline
    Path('/proc/self/clear_refs').write_text('5')  # reset the peak-RSS counter to the current RSS
    before = _status_kb('VmRSS')
    if _status_kb('VmHWM') > before * 1.05 + 1024:
        raise RuntimeError('bench_dense: could not reset the peak-RSS counter (VmHWM)')
    loss(logits, b).backward()
    after = max(_status_kb('VmHWM'), _status_kb('VmRSS'))
    tensor_mb = (logits.numel() * 2 + b.images.numel()) * 4 / 2 ** 20
    print(json.dumps(dict(extra_mb=(after - before) / 1024, inputs_mb=tensor_mb, total_mb=after / 1024)))


def rss(k: int, batch: int, size: int, crf_cfg: dict) -> dict:
    out = subprocess.run([sys.executable, __file__, '--rss-child', json.dumps(dict(k=k, batch=batch, size=size,
                                                                                  crf_cfg=crf_cfg))],
                         capture_output=True, text=True, cwd=REPO)
    if out.returncode:
        raise RuntimeError(f'bench_dense: RSS subprocess failed:\n{out.stderr}')
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> str:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--steps', type=int, default=6, help='timed steps per loss (after one warm-up)')
    p.add_argument('--threads', type=int, default=1, help='CPU threads for the speed run')
    p.add_argument('--rss-k', type=int, default=21, help='classes in the RSS measurement')
    p.add_argument('--doc', default='docs/benchmarks.md')
    p.add_argument('--no-write', action='store_true')
    p.add_argument('--rss-child', help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.rss_child:
        _rss_child(**json.loads(args.rss_child))
        return ''
    torch.set_num_threads(args.threads)
    rows = [speed('cpu', args.steps, 8, 128)]
    if torch.cuda.is_available():
        rows.append(speed('cuda', 3 * args.steps, 8, 128))
    mem = [(name, cfg, rss(args.rss_k, 4, 512, cfg)) for name, cfg in (
        ('downsample 0.5, r=5 (default)', CRF_CFG),
        ('local, r=3 (full resolution)', dict(CRF_CFG, mode='local', radius=3)))]
    cpu = platform.processor() or platform.machine()
    lines = [f'Dense CRF loss cost (`python tools/bench_dense.py`; CPU: {cpu}, {args.threads} thread(s), '
             f'torch {torch.__version__}; the machine was shared, so absolute times are loose; the '
             'ratio comes from alternating steps).', '',
             f'Training step of DeepLabV3+ R18 (configs/camvid/_base_.py), batch 8, 128x128, K=11, '
             f'median of {args.steps} steps; CRF loss as in configs/rloss/_regularisers_.py '
             f"(mode={CRF_CFG['mode']}, scale_factor={CRF_CFG['scale_factor']}, radius={CRF_CFG['radius']}):", '',
             '| device | pCE step | pCE + CRF step | ratio (anchor rloss: 1.58x, target <= 1.3x) |',
             '|---|---|---|---|']
    lines += [f"| {r['device']} | {r['pce_s']:.3f} s | {r['crf_s']:.3f} s | {r['ratio']:.2f}x |" for r in rows]
    if not torch.cuda.is_available():
        lines.append('| cuda | not measured (no GPU on this machine) | | |')
    lines += ['', f'Peak RSS added by one CRF-loss forward + backward, batch 4, 512x512, K={args.rss_k}, '
              'CPU, 1 thread, in a fresh subprocess (peak RSS after the loss, VmHWM with the peak counter '
              'reset just before, minus RSS before it; logits, their gradient buffer and the images '
              'already allocated):', '',
              '| CRF loss | extra peak RSS | inputs (logits + grad + image) | process peak |', '|---|---|---|---|']
    lines += [f"| {name} | {m['extra_mb']:.0f} MB | {m['inputs_mb']:.0f} MB | {m['total_mb']:.0f} MB |"
              for name, _, m in mem]
    body = '\n'.join(lines)
    from tools.benchmark import publish
    return publish(body, REPO / args.doc, 'dense_speed', not args.no_write)


if __name__ == '__main__':
    main()
