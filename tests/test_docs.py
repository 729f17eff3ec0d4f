"""The docs build (scripts/build_docs.py) works offline: a fast build of nbs/00_core.ipynb from its stored outputs.

The full build (`make docs`) executes every notebook; this only checks the pipeline: nbdev's show_doc API docs are
there, hidden/exported sources are not, and no page or sidebar asks a CDN for anything.
"""
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CDNS = ('cdn.plot.ly', 'unpkg.com', 'jsdelivr', 'cdnjs.cloudflare.com', 'cdn.mathjax.org', 'code.jquery.com',
        'googleapis.com', 'requirejs.org')


def test_docs_build_core(tmp_path):
    out = tmp_path / 'site'
    r = subprocess.run([sys.executable, str(REPO / 'scripts' / 'build_docs.py'), str(REPO / 'nbs' / '00_core.ipynb'),
                        '--no-exec', '--out', str(out)], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    page = (out / 'core.html').read_text(encoding='utf-8')
    # API docs for warp: a heading with nbdev's anchor, the signature with its docments comments, and the docstring
    assert re.search(r'<h3 id="warp"', page), 'no show_doc heading for warp'
    text = re.sub(r'<[^>]+>', '', page)
    assert re.search(r'def\s+warp\(', text), 'no signature for warp'
    assert 'flow:torch.Tensor' in text.replace(' ', '') and 'Backward warping' in text
    # `#| export` and `#| hide` sources are not shown as code: the definition itself only appears in the API doc
    assert 'def warp(src' not in text.replace('\n', '')
    assert 'from fastcore.test import' not in text
    # offline: the local assets exist and no page names a CDN
    assert (out / '_static' / 'plotly.min.js').stat().st_size > 1_000_000
    assert (out / '_static' / 'mathjax' / 'MathJax.js').exists()
    assert (out / 'index.html').exists()
    for p in out.glob('*.html'):
        s = p.read_text(encoding='utf-8')
        bad = [c for c in CDNS if c in s]
        assert not bad, f'{p.name} refers to {bad}'
        for src in re.findall(r'<script[^>]*\bsrc="([^"]+)"', s):
            assert not src.startswith(('http:', 'https:', '//')), f'{p.name} loads a remote script {src}'
