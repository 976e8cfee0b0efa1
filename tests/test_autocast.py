"""WeakSegmentor(train_autocast=...): the training forward under torch.autocast, losses in float32."""
from __future__ import annotations

import warnings

import pytest
import torch

from wsseg.datasets.transforms import SegSample
from wsseg.registry import MODELS
from wsseg.utils import autocast


def build(autocast):
    torch.manual_seed(0)
    return MODELS.build(dict(type='WeakSegmentor', train_autocast=autocast,
                             net=dict(type='DeepLabV3Plus', num_classes=3, aspp_channels=16),
                             losses=[dict(type='PartialCrossEntropy'),
                                     dict(type='DenseCRFLoss', weight=1e-3)]))


def batch():
    g = torch.Generator().manual_seed(1)
    imgs = [torch.randint(0, 256, (3, 32, 32), generator=g, dtype=torch.uint8) for _ in range(2)]
    samples = []
    for _ in imgs:
        t = torch.full((32, 32), 255, dtype=torch.long)
        t[4:12, 4:20] = 1
        t[20:28, :] = 2
        samples.append(SegSample(img_path='x.png', img_id='x', ori_shape=(32, 32), img_shape=(32, 32), target=t))
    return dict(inputs=imgs, data_samples=samples)


def losses_and_grads(model):
    data = model.data_preprocessor(batch(), training=True)
    losses = model(**data, mode='loss')
    total = sum(losses.values())
    total.backward()
    return losses, [p.grad for p in model.parameters() if p.grad is not None]


@pytest.fixture
def native_bf16(monkeypatch):
    """Run the bfloat16 path on any CPU (on an AVX2-only one it falls back to float32)."""
    monkeypatch.setattr(autocast, 'cpu_native', lambda dtype: True)


def test_bf16_training_forward_matches_float32_closely(native_bf16):
    ref_losses, ref_grads = losses_and_grads(build(None))
    bf_losses, bf_grads = losses_and_grads(build('bfloat16'))
    # bfloat16 keeps ~3 significant digits of each logit: CE barely moves, while the CRF term of
    # an untrained, near-uniform softmax (tiny differences between neighbours) moves by ~10%.
    for name, rtol in (('loss_pce', 0.01), ('loss_crf', 0.15)):
        got, ref = bf_losses[name], ref_losses[name]
        assert got.dtype == torch.float32, name          # losses see float32 logits
        assert torch.isfinite(got) and torch.isclose(got, ref, rtol=rtol), (name, got, ref)
        assert got.item() != ref.item()                  # the forward really ran in bfloat16
    assert all(g.dtype == torch.float32 and torch.isfinite(g).all() for g in bf_grads)
    cos = torch.nn.functional.cosine_similarity(torch.cat([g.flatten() for g in bf_grads]),
                                                torch.cat([g.flatten() for g in ref_grads]), dim=0)
    # an untrained net on random pixels has gradients made of near-cancelling terms, so
    # bfloat16 rounding turns them by a lot (0.6-0.7 here); that they still agree in direction
    # is what is checked. Whether it costs accuracy is measured on CamVid (docs/benchmarks.md).
    assert cos > 0.5


def test_prediction_stays_float32_and_bad_dtype_is_refused():
    model = build('bfloat16').eval()
    data = model.data_preprocessor(batch())
    assert model(data['inputs']).dtype == torch.float32
    with pytest.raises(ValueError, match="train_autocast must be None, 'bfloat16'"):
        build('int8')


def test_a_cpu_without_native_bf16_trains_in_float32_and_says_so(monkeypatch):
    """On an AVX2-only CPU a bfloat16 convolution takes a slow reference kernel (about 26x a
    float32 step): the config's autocast is dropped, with one warning, not silently obeyed."""
    monkeypatch.setattr(autocast, 'cpu_native', lambda dtype: False)
    monkeypatch.setattr(autocast, '_warned', set())
    ref_losses, ref_grads = losses_and_grads(build(None))
    with pytest.warns(UserWarning, match="train_autocast='bfloat16' ignored, training in float32"):
        got_losses, got_grads = losses_and_grads(build('bfloat16'))
    assert {k: v.item() for k, v in got_losses.items()} == {k: v.item() for k, v in ref_losses.items()}
    assert all(torch.equal(a, b) for a, b in zip(got_grads, ref_grads))
    with warnings.catch_warnings():
        warnings.simplefilter('error')                   # once per owner and device, not per step
        losses_and_grads(build('bfloat16'))


def test_the_native_probe_names_the_dtype_and_device():
    assert autocast.autocast_dtype(None, 'cpu', 'x') is None
    assert autocast.native('cpu', torch.bfloat16) == autocast.cpu_native(torch.bfloat16)
    assert isinstance(autocast.cpu_native(torch.bfloat16), bool)
    if autocast.cpu_native(torch.bfloat16):
        assert autocast.autocast_dtype('bfloat16', 'cpu', 'x') is torch.bfloat16
