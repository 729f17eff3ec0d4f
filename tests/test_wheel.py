"""The wheel carries the trained models: build it, install it into a fresh virtual environment outside the checkout
(reusing this environment's installed dependencies, but not its editable meshreenact) and run commands from another
folder: `meshreenact demo --help`, `python -m meshreenact evaluate --help`, the models loaded and run, and the demo itself (`--pairs 5`). About 40 s."""
import os, shutil, subprocess, sys, sysconfig, zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FILES = ('setup.py', 'settings.ini', 'pyproject.toml', 'MANIFEST.in', 'README.md', 'LICENSE')

CHECK = """
import sys, torch, meshreenact
from meshreenact.train import default_generator_path, load_trained_generator
from meshreenact.regress import default_regressor_path, load_regressor
G, cfg = load_trained_generator()
net = load_regressor()
c = net(torch.rand(1, 3, 64, 64))
with torch.no_grad(): out = G.generator(torch.rand(1, 3, cfg.size, cfg.size), c.vector(), c.vector())
assert torch.isfinite(out.image).all()
print('PACKAGE', meshreenact.__file__)
print('GENERATOR', default_generator_path())
print('REGRESSOR', default_regressor_path())
"""


def _run(cmd, **kw):
    env = {k: v for k, v in os.environ.items() if k not in ('PYTHONPATH', 'IN_TEST')}   # nothing from the checkout
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=300, env=env, **kw)


def test_wheel_ships_the_models_and_runs_outside_the_checkout(tmp_path):
    src = tmp_path / 'src'; src.mkdir()
    for f in FILES:
        if (ROOT / f).exists(): shutil.copy(ROOT / f, src / f)
    for d in ('meshreenact', 'data_samples'): shutil.copytree(ROOT / d, src / d, ignore=shutil.ignore_patterns('__pycache__'))
    r = _run([sys.executable, '-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation', '--disable-pip-version-check',
              '-q', '-w', tmp_path / 'dist', src])
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    whl, = (tmp_path / 'dist').glob('meshreenact-*.whl')
    names = zipfile.ZipFile(whl).namelist()
    for f in ('generator64.pt', 'regressor64.pt'): assert f'meshreenact/data_samples/{f}' in names, f'the wheel lacks {f}'
    assert any(n.endswith('/licenses/LICENSE') for n in names), 'the wheel lacks the LICENSE settings.ini names'
    # a fresh environment: its own site-packages, then this one's as a plain path (its .pth files, among them the
    # editable install's finder, are not run there: only the dependencies are visible)
    venv = tmp_path / 'venv'
    assert _run([sys.executable, '-m', 'venv', '--without-pip', venv]).returncode == 0
    py = venv / 'bin' / 'python'
    site = Path(_run([py, '-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])']).stdout.strip())
    (site / 'dependencies.pth').write_text(sysconfig.get_paths()['purelib'] + '\n')
    r = _run([sys.executable, '-m', 'pip', '--python', py, 'install', '--no-deps', '--no-index', '--disable-pip-version-check', '-q', whl])
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    elsewhere = tmp_path / 'elsewhere'; elsewhere.mkdir()
    r = _run([venv / 'bin' / 'meshreenact', 'demo', '--help'], cwd=elsewhere)
    assert r.returncode == 0 and 'usage: meshreenact demo' in r.stdout, r.stdout + r.stderr
    r = _run([py, '-m', 'meshreenact', 'evaluate', '--help'], cwd=elsewhere)          # the same command line as `python -m`
    assert r.returncode == 0 and 'usage: meshreenact evaluate' in r.stdout, r.stdout + r.stderr
    r = _run([py, '-c', CHECK], cwd=elsewhere)
    assert r.returncode == 0, r.stdout + r.stderr[-3000:]
    lines = dict(l.split(' ', 1) for l in r.stdout.splitlines() if ' ' in l)
    print(r.stdout)
    for k in ('PACKAGE', 'GENERATOR', 'REGRESSOR'):
        assert Path(lines[k]).is_relative_to(site), f'{k} {lines[k]} is not the installed copy in {site}'
    r = _run([venv / 'bin' / 'meshreenact', 'demo', '--pairs', '5', '--out', 'out'], cwd=elsewhere)
    print(r.stdout)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    assert f"generator: {site / 'meshreenact' / 'data_samples' / 'generator64.pt'}" in r.stdout
    assert sorted(p.name for p in (elsewhere / 'out').iterdir()) == ['fit_astronaut.png', 'identity_exclusion.png',
                                                                    'reenact_real.png', 'reenact_synthetic.png']
