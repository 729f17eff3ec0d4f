"""The library is exported from the notebooks: the committed modules must equal a fresh `nbdev_export`,
and the committed notebooks must be clean (`nbdev_clean`). Both are checked in a scratch copy."""
import filecmp, os, shutil, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _scratch(tmp_path):
    dst = tmp_path / 'repo'
    shutil.copytree(ROOT, dst, ignore=shutil.ignore_patterns('.git', '.venv', 'venv', '*.egg-info', '__pycache__',
                                                              '_docs', '_proc', 'runs', 'site'))
    return dst


def _diff(a: Path, b: Path, pattern: str):
    out = []
    for p in sorted(a.glob(pattern)):
        q = b / p.relative_to(a)
        if not q.exists() or not filecmp.cmp(p, q, shallow=False): out.append(str(p.relative_to(a)))
    out += [str(q.relative_to(b)) for q in sorted(b.glob(pattern)) if not (a / q.relative_to(b)).exists()]
    return out


def _run(tool, cwd):
    env = {k: v for k, v in os.environ.items() if k != 'IN_TEST'}   # nbdev_export does nothing under IN_TEST
    subprocess.run([str(BIN / tool)], cwd=cwd, env=env, check=True, capture_output=True, timeout=300)


def test_modules_match_notebooks(tmp_path):
    dst = _scratch(tmp_path)
    _run('nbdev_export', dst)
    stale = _diff(ROOT / 'meshreenact', dst / 'meshreenact', '*.py')
    assert not stale, f"modules differ from a fresh nbdev_export (run nbdev_export and commit): {stale}"


def test_notebooks_are_clean(tmp_path):
    dst = _scratch(tmp_path)
    _run('nbdev_clean', dst)
    dirty = _diff(ROOT / 'nbs', dst / 'nbs', '*.ipynb')
    assert not dirty, f"notebooks are not clean (run nbdev_clean and commit): {dirty}"
