"""The committed regressor checkpoint and the scripts of notebooks 06a_fit and 06b_regressor (the notebook itself is run by
test_notebooks.py)."""
import math, subprocess, sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]


def test_checkpoint_loads_safely():
    from meshreenact.regress import default_regressor_path, load_regressor
    path = default_regressor_path()
    assert path == ROOT / 'data_samples' / 'regressor64.pt' and path.is_file()
    assert path.stat().st_size < 5e6
    ckpt = torch.load(path, weights_only=True)                 # plain tensors, numbers and strings only
    assert {'state_dict', 'config', 'info'} <= set(ckpt)
    net = load_regressor()
    assert not net.training and not any(p.requires_grad for p in net.parameters())
    x = torch.rand(2, 3, 96, 96, requires_grad=True)
    c = net(x)
    assert c.id.shape == (2, 40) and c.exp.shape == (2, 10) and c.pose.shape == (2, 12)
    assert all(torch.isfinite(v).all() for v in (c.id, c.exp, c.pose))
    c.pose.sum().backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


def test_load_regressor_errors(tmp_path):
    from meshreenact.regress import load_regressor
    with pytest.raises(FileNotFoundError, match='no regressor checkpoint'): load_regressor(tmp_path / 'none.pt')
    (tmp_path / 'bad.pt').write_bytes(b'not a checkpoint')
    with pytest.raises(ValueError, match='not a regressor checkpoint'): load_regressor(tmp_path / 'bad.pt')
    torch.save({'weights': torch.zeros(1)}, tmp_path / 'other.pt')
    with pytest.raises(ValueError, match="expected keys 'state_dict' and 'config'"): load_regressor(tmp_path / 'other.pt')


def test_train_script_smoke(tmp_path):
    out = tmp_path / 'r.pt'
    r = subprocess.run([sys.executable, str(ROOT / 'scripts' / 'train_regressor.py'), '--steps', '3', '--n-train', '32',
                        '--n-test', '16', '--batch-size', '8', '--out', str(out)], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    assert out.is_file() and out.with_suffix('.log').is_file()
    assert 'held-out net' in out.with_suffix('.log').read_text()
    from meshreenact.regress import load_regressor
    assert load_regressor(out).info['steps'] == 3


def test_fit_synthetic_landmarks():
    from meshreenact.morphable import load_bfm, Coeffs, to_pixels
    from meshreenact.fit import fit_landmarks, pose_angles
    model = load_bfm(verbose=False)
    truth = Coeffs.sample(20, seed=5)
    lm = to_pixels(model.landmarks(truth), 256, 256)
    fit = fit_landmarks(model, lm + torch.randn(lm.shape, generator=torch.Generator().manual_seed(0)), 256)
    err = (pose_angles(fit.coeffs.pose) - pose_angles(truth.pose)).abs() * 180 / math.pi
    assert err.max() < 6 and err.mean() < 1.5
    assert (to_pixels(model.landmarks(fit.coeffs), 256, 256) - lm).norm(dim=-1).mean() < 1.0


def test_finetune_script_smoke(tmp_path):
    out = tmp_path / 'ft.pt'
    r = subprocess.run([sys.executable, str(ROOT / 'scripts' / 'finetune_regressor.py'), '--out', str(out), '--steps', '3',
                        '--step', '64', '--n-synthetic', '16', '--n-synthetic-test', '16', '--batch-size', '8',
                        '--cache', str(tmp_path / 'cache')], capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout + r.stderr
    log = out.with_suffix('.log').read_text()
    assert 'held-out photos' in log and 'synthetic held-out' in log and '->' in log
    from meshreenact.regress import load_regressor, default_regressor_path
    net = load_regressor(out)
    assert net.info['finetune']['steps_run'] == 3 and set(net.info['held_out']) >= {'held-out photos', 'synthetic held-out'}
    base = load_regressor(default_regressor_path())           # the committed checkpoint is where it was, and unchanged
    assert not all(torch.equal(a, b) for a, b in zip(net.state_dict().values(), base.state_dict().values()))
