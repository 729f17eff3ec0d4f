"""Checks of meshreenact.losses beyond the notebook's: logging of the chosen reconstruction loss, the gradient penalty
under no_grad and autocast, dtype round trips, and bad input. Small tensors only (seconds on a CPU)."""
import logging

import numpy as np
import pytest
import torch

from meshreenact.losses import (Discriminator, CoefficientLoss, LossWeights, PyramidLoss, L1Distance, VGG19,
                                coefficient_distance, critic_loss, gradient_penalty, generator_losses,
                                make_reconstruction_loss, FALLBACK_KIND, ssim)
from meshreenact.morphable import Coeffs


@pytest.fixture
def empty_hub(tmp_path):
    saved = torch.hub.get_dir()
    torch.hub.set_dir(str(tmp_path / 'hub'))
    yield tmp_path
    torch.hub.set_dir(saved)


def test_factory_logs_what_runs(empty_hub, caplog):
    with caplog.at_level(logging.INFO, logger='meshreenact.losses'):
        loss = make_reconstruction_loss('auto')
    assert loss.kind == FALLBACK_KIND
    assert 'falls back' in caplog.text and f'reconstruction loss: {FALLBACK_KIND}' in caplog.text
    caplog.clear()
    with caplog.at_level(logging.INFO, logger='meshreenact.losses'):
        assert make_reconstruction_loss('l1').kind == 'l1'
    assert 'falls back' not in caplog.text and 'L1 pyramid' in caplog.text


def test_every_kind_is_zero_on_identical_images(empty_hub):
    x = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    vgg = VGG19()
    torch.save(vgg.state_dict(), empty_hub / 'weights.pth')
    from meshreenact.losses import HookedFeatures
    for kind, kw in [('l1', {}), ('l1-ssim', {}), ('vgg-random', {}), ('vgg', dict(vgg_weights=empty_hub / 'weights.pth')),
                     ('regressor', dict(features=HookedFeatures(vgg, ['features.1'])))]:
        loss = make_reconstruction_loss(kind, **kw)
        assert loss(x, x).abs().item() < 1e-6, kind
        assert loss(x, x.flip(-1)).item() > 0, kind


def test_gradient_penalty_under_no_grad_and_autocast():
    D = Discriminator(channels=8, n_layers=2, norm='layer')
    real, fake = torch.rand(2, 3, 16, 16), torch.rand(2, 3, 16, 16)
    ref = gradient_penalty(D.score, real, fake, seed=1)
    with torch.no_grad():                                          # e.g. a validation pass
        assert torch.allclose(gradient_penalty(D.score, real, fake, seed=1), ref)
    with torch.autocast('cpu', dtype=torch.bfloat16):              # the penalty is computed in float32 regardless
        gp = gradient_penalty(D.score, real, fake, seed=1)
    assert gp.dtype == torch.float32 and torch.allclose(gp, ref, rtol=1e-5)


def test_critic_step_reaches_only_critic_through_detached_fake():
    D = Discriminator(channels=8, n_layers=2)
    fake = torch.rand(2, 3, 16, 16, requires_grad=True)
    out = critic_loss(D, torch.rand(2, 3, 16, 16), fake, seed=0)
    out['total'].backward()
    assert fake.grad is None and all(p.grad is not None for p in D.parameters())


def test_generator_losses_float64_and_weights():
    D = Discriminator(channels=4, n_layers=2).double()
    g = torch.Generator().manual_seed(0)
    drv = torch.rand(1, 3, 16, 16, generator=g, dtype=torch.float64)
    gen = torch.rand(1, 3, 16, 16, generator=g, dtype=torch.float64)
    w = LossWeights(rec=2.0, fm=3.0, adv=0.5)
    out = generator_losses(gen, drv, D, PyramidLoss(L1Distance(), scales=(8,)), weights=w)
    assert 'coef' not in out and all(v.dtype == torch.float64 for v in out.values())
    assert torch.allclose(out['total'], 2 * out['rec'] + 3 * out['fm'] + 0.5 * out['adv'])


def test_coefficient_bad_input():
    c = Coeffs.sample(2, seed=0)
    short = Coeffs(c.id[:, :30], c.exp, c.pose)
    with pytest.raises(ValueError, match='id coefficients differ in shape'): coefficient_distance(short, c)
    closs = CoefficientLoss(lambda x: c)
    x = torch.rand(2, 3, 8, 8)
    assert closs(x, x, x).item() == 0.0
    with pytest.raises(ValueError, match='generated and source must have the same shape'): closs(x, x[:, :, :4], x)


def test_ssim_batch_and_dtype():
    g = torch.Generator().manual_seed(0)
    a, b = torch.rand(3, 3, 16, 16, generator=g), torch.rand(3, 3, 16, 16, generator=g)
    s = ssim(a, b)
    assert s.shape == (3,)
    assert np.allclose(s.numpy(), [ssim(a[i:i + 1], b[i:i + 1]).item() for i in range(3)], atol=1e-6)
    assert torch.allclose(ssim(a.double(), b.double()).float(), s, atol=1e-5)
