"""Run every notebook in nbs/ as a test, one pytest test per notebook so a failure names it.

Cells flagged `#| slow` are skipped unless MESHREENACT_SLOW=1 is set (nbdev's `tst_flags`).
"""
import os
from pathlib import Path

import pytest

NBS = Path(__file__).resolve().parents[1] / 'nbs'
NOTEBOOKS = sorted(p.name for p in NBS.glob('*.ipynb'))


@pytest.mark.parametrize('name', NOTEBOOKS)
def test_notebook(name, monkeypatch):
    from nbdev.test import test_nb
    monkeypatch.chdir(NBS)                       # notebooks run from nbs/, as in Jupyter
    flags = ['slow'] if os.environ.get('MESHREENACT_SLOW') else []
    ok, secs = test_nb(NBS / name, skip_flags=[] if flags else ['slow'], force_flags=flags, do_print=False)
    assert ok, f"notebook {name} failed (the traceback is printed above)"
