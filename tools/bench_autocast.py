"""What bfloat16 autocast costs on this machine's CPU: ``python tools/bench_autocast.py [--steps 3]``.

A training step (forward, CE, backward, SGD step) of the CamVid benchmark's network
(DeepLabV3+ R18, ``configs/camvid/_base_.py``) at its batch (8) and crop (128x128), in float32
and with the forward under ``torch.autocast(dtype=torch.bfloat16)``, steps alternating so that
machine load hits both alike; the ratio of the medians is the result. Whether oneDNN computes
bfloat16 natively on this CPU is printed beside it: where it does not, ``WeakSegmentor`` ignores
``train_autocast='bfloat16'`` and trains in float32 (``wsseg/utils/autocast.py``), and this
table says why. Writes the ``autocast_speed`` section of docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from tqdm import tqdm  # noqa: E402

from tools.bench_dense import build_model, make_batch  # noqa: E402
from wsseg.utils.autocast import cpu_native  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def step_time(model, opt, data: dict, dtype: torch.dtype | None) -> float:
    """One training step of the bare network, its forward under autocast to ``dtype`` (None: float32)."""
    target = torch.stack([s.target for s in data['data_samples']])
    t = time.perf_counter()
    with torch.autocast('cpu', dtype=dtype, enabled=dtype is not None):
        logits = model.net(data['inputs'])
    loss = F.cross_entropy(logits.float(), target, ignore_index=255)
    opt.zero_grad()
    loss.backward()
    opt.step()
    return time.perf_counter() - t


def main(argv=None) -> str:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--steps', type=int, default=3, help='timed steps per precision (after one warm-up each)')
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--doc', default='docs/benchmarks.md')
    p.add_argument('--no-write', action='store_true')
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    model, k = build_model('cpu', [dict(type='PartialCrossEntropy')])
    data = make_batch(model, k, 8, 128, 'cpu')
    opt = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    precisions = {'float32': None, 'bfloat16 autocast': torch.bfloat16}
    for dtype in precisions.values():          # warm-up
        step_time(model, opt, data, dtype)
    times = {name: [] for name in precisions}
    for _ in tqdm(range(args.steps), desc='alternating steps'):
        for name, dtype in precisions.items():
            times[name].append(step_time(model, opt, data, dtype))
    med = {name: statistics.median(v) for name, v in times.items()}
    ratio = med['bfloat16 autocast'] / med['float32']
    cpu = f'{platform.processor() or platform.machine()}, capability {torch.backends.cpu.get_cpu_capability()}'
    native = cpu_native(torch.bfloat16)
    lines = [f'bfloat16 autocast on this CPU (`python tools/bench_autocast.py`; {cpu}, {args.threads} thread(s), '
             f'torch {torch.__version__}; shared machine: the ratio comes from alternating steps).', '',
             'Training step of DeepLabV3+ R18 (configs/camvid/_base_.py), batch 8, 128x128, CE, '
             f'median of {args.steps} steps each:', '',
             '| oneDNN native bfloat16 | float32 step | bfloat16-autocast step | bfloat16 / float32 | '
             "what `train_autocast='bfloat16'` does here |", '|---|---|---|---|---|',
             f"| {'yes' if native else 'no'} | {med['float32']:.2f} s | {med['bfloat16 autocast']:.2f} s | "
             f"**{ratio:.1f}x** | {'trains in bfloat16' if native else 'trains in float32, with a warning'} |"]
    body = '\n'.join(lines)
    from tools.benchmark import publish
    return publish(body, REPO / args.doc, 'autocast_speed', not args.no_write)


if __name__ == '__main__':
    main()
