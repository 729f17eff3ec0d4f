"""The docs site (scripts/build_docs.py -> docs/): nbdev's processing + nbconvert's HTML, offline.

- a real build of nbs/00_core.ipynb (executed, ~30 s): nbdev's show_doc API docs are there, hidden/exported sources
  are not, the local plotly.js and MathJax are in place and no page asks a CDN for anything;
- the post-pass against oracles: mesh decimation (an analytic sphere), widget snapshots, plotly HTML parsing;
- the committed site docs/: a page for every notebook, no broken links or images, no CDN, within its size budget;
- README and index agree (the notebook map and the demo's numbers);
- in headless Chromium (skipped where there is none): math is typeset by the local MathJax and plotly draws.
"""
import base64
import importlib.util
import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / 'docs'
CDNS = ('cdn.plot.ly', 'unpkg.com', 'jsdelivr', 'cdnjs.cloudflare.com', 'cdn.mathjax.org', 'code.jquery.com',
        'googleapis.com', 'requirejs.org')
SITE_BUDGET_MB = 25          # all of docs/ (about 8 MB of it is plotly.js, MathJax and the JupyterLab CSS)
FILE_BUDGET_MB = 1.0         # any one file but plotly.min.js: no multi-MB plotly blobs, no huge images
HUBS = ('huggingface.co', 'hf.co/', 'tfhub.dev', 'modelscope.cn', 'download.pytorch.org/models')   # no model hub
CHROMIUM = shutil.which('chromium') or shutil.which('chromium-browser')


def builder():
    spec = importlib.util.spec_from_file_location('build_docs', REPO / 'scripts' / 'build_docs.py')
    m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
    return m


def check_offline(out: Path):
    for p in out.glob('*.html'):
        s = p.read_text(encoding='utf-8')
        bad = [c for c in CDNS if c in s]
        assert not bad, f'{p.name} refers to {bad}'
        for src in re.findall(r'<script[^>]*\bsrc="([^"]+)"', s):
            assert not src.startswith(('http:', 'https:', '//')), f'{p.name} loads a remote script {src}'
        assert str(REPO) not in s and str(Path.home()) + '/' not in s, f'{p.name} shows a path of the build machine'
        hub = [u for u in re.findall(r'\b(?:href|src)="([^"]+)"', s) if any(h in u for h in HUBS)]
        assert not hub, f'{p.name} links a model hub: {hub}'


def test_docs_build_core(tmp_path):
    out = tmp_path / 'site'
    r = subprocess.run([sys.executable, str(REPO / 'scripts' / 'build_docs.py'), str(REPO / 'nbs' / '00_core.ipynb'),
                        '--out', str(out), '--proc', str(tmp_path / 'proc')], cwd=REPO, capture_output=True,
                       text=True, timeout=600)
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
    # the title cell became the page header; the sidebar links the page itself
    assert re.search(r'<header class="docs-title[^>]*><h1>', page) and 'href="core.html"' in page
    # offline: the local assets exist and no page names a CDN
    assert (out / '_static' / 'plotly.min.js').stat().st_size > 1_000_000
    assert (out / '_static' / 'mathjax' / 'MathJax.js').exists()
    assert (out / '_static' / 'mathjax' / 'config' / 'TeX-AMS-MML_HTMLorMML-full.js').exists()
    check_offline(out)
    if CHROMIUM:                     # the page's math is typeset by the local MathJax, with no network
        dom = chromium_dom(out / 'core.html')
        assert 'class="MathJax' in dom, 'MathJax did not typeset core.html'


# ---------------------------------------------------------------------------------------------------------------------
# the post-pass, against oracles

def uv_sphere(n_lat=120, n_lon=240, r=2.0):
    "A closed UV sphere of radius r: (vertices (n, 3), triangles (m, 3)) with the poles as single vertices."
    th = np.linspace(0, np.pi, n_lat + 1)[1:-1]; ph = np.linspace(0, 2 * np.pi, n_lon, endpoint=False)
    T, P = np.meshgrid(th, ph, indexing='ij')
    V = np.concatenate([[[0, 0, r]], np.stack([r * np.sin(T) * np.cos(P), r * np.sin(T) * np.sin(P),
                                               r * np.cos(T)], -1).reshape(-1, 3), [[0, 0, -r]]])
    idx = lambda i, j: 1 + i * n_lon + j % n_lon
    F = [(0, idx(0, j), idx(0, j + 1)) for j in range(n_lon)]
    for i in range(n_lat - 2):
        for j in range(n_lon):
            F += [(idx(i, j), idx(i + 1, j), idx(i + 1, j + 1)), (idx(i, j), idx(i + 1, j + 1), idx(i, j + 1))]
    F += [(len(V) - 1, idx(n_lat - 2, j + 1), idx(n_lat - 2, j)) for j in range(n_lon)]
    return V, np.array(F)


def area(V, F): return 0.5 * np.linalg.norm(np.cross(V[F[:, 1]] - V[F[:, 0]], V[F[:, 2]] - V[F[:, 0]]), axis=1).sum()


def test_decimate_mesh3d_keeps_the_surface():
    b = builder()
    V, F = uv_sphere()
    assert abs(area(V, F) - 4 * np.pi * 4) / (16 * np.pi) < 0.01             # the oracle: the analytic sphere
    trace = {'type': 'mesh3d', 'x': V[:, 0].tolist(), 'y': V[:, 1].tolist(), 'z': V[:, 2].tolist(),
             'i': F[:, 0].tolist(), 'j': F[:, 1].tolist(), 'k': F[:, 2].tolist(), 'intensity': V[:, 2].tolist()}
    before, after = b.decimate_mesh3d(trace, max_vertices=2000)
    assert before == len(V) == 28562 and 1000 < after <= 2000
    Q = np.stack([b._array(trace[k]) for k in 'xyz'], 1).astype(float)
    G = np.stack([b._array(trace[k]) for k in 'ijk'], 1).astype(int)
    assert len(Q) == after and G.min() >= 0 and G.max() < after
    assert np.all((G[:, 0] != G[:, 1]) & (G[:, 1] != G[:, 2]) & (G[:, 0] != G[:, 2])), 'degenerate triangles kept'
    assert len(np.unique(np.sort(G, 1), axis=0)) == len(G), 'duplicate triangles kept'
    assert np.abs(np.linalg.norm(Q, axis=1) - 2.0).max() < 0.1          # the merged vertices stay on the sphere
    assert abs(area(Q, G) - 16 * np.pi) / (16 * np.pi) < 0.05             # and the surface stays closed and whole
    assert np.abs(b._array(trace['intensity']) - Q[:, 2]).max() < 0.1    # intensity averaged like the positions
    # colours follow: colour names from one vertex of each cluster, RGB rows averaged, face colours with their faces
    named = {'type': 'mesh3d', 'x': V[:, 0], 'y': V[:, 1], 'z': V[:, 2], 'i': F[:, 0], 'j': F[:, 1], 'k': F[:, 2],
             'vertexcolor': ['red' if z > 0 else 'blue' for z in V[:, 2]]}
    b.decimate_mesh3d(named, max_vertices=2000)
    Qn = np.stack([b._array(named[k]) for k in 'xyz'], 1)
    vc = np.array(named['vertexcolor'])
    assert len(vc) == len(Qn) and set(vc) == {'red', 'blue'}
    assert np.all(vc[Qn[:, 2] > 0.1] == 'red') and np.all(vc[Qn[:, 2] < -0.1] == 'blue')
    rgb = {'type': 'mesh3d', 'x': V[:, 0], 'y': V[:, 1], 'z': V[:, 2], 'i': F[:, 0], 'j': F[:, 1], 'k': F[:, 2],
           'vertexcolor': np.tile([0.2, 0.4, 0.6], (len(V), 1)), 'facecolor': np.arange(len(F))}
    b.decimate_mesh3d(rgb, max_vertices=2000)
    assert np.allclose(rgb['vertexcolor'], [0.2, 0.4, 0.6]) and len(rgb['vertexcolor']) == len(b._array(rgb['x']))
    fc = np.array(rgb['facecolor'])                                   # each kept face keeps its original face's colour:
    Qr = np.stack([b._array(rgb[k]) for k in 'xyz'], 1); Gr = np.stack([b._array(rgb[k]) for k in 'ijk'], 1).astype(int)
    assert len(fc) == len(Gr) and len(set(fc)) == len(fc)             # the original face lies where the new one is
    assert np.linalg.norm(Qr[Gr].mean(1) - V[F[fc]].mean(1), axis=1).max() < 0.3
    small = {'type': 'mesh3d', 'x': [0, 1, 0], 'y': [0, 0, 1], 'z': [0, 0, 0], 'i': [0], 'j': [1], 'k': [2]}
    assert b.decimate_mesh3d(small, max_vertices=2000) is None and small['x'] == [0, 1, 0]


def png_bytes(color=(255, 0, 0), size=(8, 4)):
    from PIL import Image
    buf = io.BytesIO(); Image.new('RGB', size, color).save(buf, 'PNG'); return buf.getvalue()


def test_widget_snapshot_shows_state_images_and_outputs():
    b = builder()
    png = base64.b64encode(png_bytes()).decode()
    state = {
        'box': {'state': {'_model_name': 'VBoxModel', 'children': ['IPY_MODEL_k', 'IPY_MODEL_img', 'IPY_MODEL_out']}},
        'k': {'state': {'_model_name': 'IntSliderModel', 'description': 'K', 'value': 3}},
        'img': {'state': {'_model_name': 'ImageModel', 'format': 'png'},
                'buffers': [{'data': png, 'encoding': 'base64', 'path': ['value']}]},
        'out': {'state': {'_model_name': 'OutputModel', 'outputs': [
            {'output_type': 'stream', 'name': 'stdout', 'text': 'residual 0.5 px\n'}]}}}
    outs = b.offline_outputs([{'output_type': 'display_data', 'metadata': {}, 'data': {
        'application/vnd.jupyter.widget-view+json': {'model_id': 'box', 'version_major': 2, 'version_minor': 0},
        'text/plain': 'VBox(...)'}}], state)
    assert len(outs) == 3
    assert 'K = 3' in outs[0]['data']['text/html'] and 'snapshot' in outs[0]['data']['text/html']
    assert base64.b64decode(outs[1]['data']['image/png']) == png_bytes()
    assert outs[2]['output_type'] == 'stream' and outs[2]['text'] == 'residual 0.5 px\n'


def test_plotly_html_is_offline_and_keeps_the_figure():
    import plotly.graph_objects as go, plotly.io as pio
    b = builder()
    fig = go.Figure(go.Scatter3d(x=[1, 2, 3], y=[4, 5, 6], z=[7, 8, 9], mode='markers'))
    h = pio.to_html(fig, include_plotlyjs='cdn', full_html=False)          # what the 'notebook_connected' renderer makes
    assert 'cdn.plot.ly' in h
    figs = b._plotly_calls(h)
    assert len(figs) == 1
    assert [b._array(figs[0]['data'][0][k]).tolist() for k in 'xyz'] == [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    outs = b.offline_outputs([{'output_type': 'display_data', 'metadata': {}, 'data': {'text/html': h}}], {})
    assert len(outs) == 1 and not any(c in outs[0]['data']['text/html'] for c in CDNS)
    assert 'Plotly.newPlot' in outs[0]['data']['text/html']
    # a loader-only output (plotly's require.js configuration) vanishes
    assert b.offline_outputs([{'output_type': 'display_data', 'metadata': {}, 'data': {'text/html':
        "<script>require.config({paths: {'plotly': 'https://cdn.plot.ly/plotly-3.0.1.min'}});</script>"}}], {}) == []


def test_big_png_becomes_a_smaller_jpeg():
    b = builder()
    rng = np.random.default_rng(0)
    from PIL import Image
    smooth = (np.add.outer(np.arange(400), np.arange(600))[..., None] * [1, 0.5, 0.25] % 256).astype(np.uint8)
    photo = np.clip(smooth + rng.normal(0, 12, smooth.shape), 0, 255).astype(np.uint8)   # noisy: PNG compresses badly
    buf = io.BytesIO(); Image.fromarray(photo).save(buf, 'PNG'); png = buf.getvalue()
    assert len(png) > b.JPEG_OVER
    out = b.smaller_image({'image/png': base64.b64encode(png).decode(), 'text/plain': 'fig'})
    assert 'image/png' not in out and out['text/plain'] == 'fig'
    jpg = np.asarray(Image.open(io.BytesIO(base64.b64decode(out['image/jpeg']))), dtype=float)
    assert len(base64.b64decode(out['image/jpeg'])) * 2 < len(png)
    assert np.abs(jpg - photo).mean() < 10                                # the same picture
    tiny = {'image/png': base64.b64encode(png_bytes()).decode()}
    assert b.smaller_image(tiny) is tiny


# ---------------------------------------------------------------------------------------------------------------------
# the committed site

def site_pages():
    if not (DOCS / 'index.html').exists(): pytest.skip('docs/ is not built (make docs)')
    return sorted(DOCS.glob('*.html'))


def test_site_has_a_page_for_every_notebook():
    site_pages()
    b = builder()
    missing = [p.name for p in sorted((REPO / 'nbs').glob('*.ipynb')) if not (DOCS / b.page_name(p)).exists()]
    assert not missing, f'docs/ has no page for {missing}: rebuild it with `make docs`'
    # every page nbdev's own index (_modidx.py) links to exists, and so does the anchor of every public function and
    # class (show_doc documents those; methods and private names have no heading of their own)
    from meshreenact._modidx import d
    ids, bad = {}, []
    for mod_name, mod in d['syms'].items():
        for sym, (url, _) in mod.items():
            page, _, anchor = url.partition('#')
            if page not in ids:
                ids[page] = set(re.findall(r'\bid="([^"]+)"', (DOCS / page).read_text(encoding='utf-8'))) \
                    if (DOCS / page).exists() else None
            name = sym[len(mod_name) + 1:]
            if ids[page] is None or ('.' not in name and not name.startswith('_') and anchor not in ids[page]):
                bad.append(f'{sym} -> {url}')
    assert not bad, f'{len(bad)} API links of _modidx.py lead nowhere: {bad[:10]}'


def test_site_links_images_and_budget():
    pages = site_pages()
    ids = {p.name: set(re.findall(r'\bid="([^"]+)"', p.read_text(encoding='utf-8'))) for p in pages}
    broken = []
    for p in pages:
        s = p.read_text(encoding='utf-8')
        for attr, ref in re.findall(r'\b(href|src)="([^"]+)"', s):
            if ref.startswith(('http:', 'https:', 'mailto:', 'data:', 'javascript:')): continue
            path, _, anchor = ref.partition('#')
            path = unquote(path.split('?')[0])
            target = (p.parent / path).resolve() if path else p
            if not target.exists(): broken.append(f'{p.name}: {attr}={ref}'); continue
            # a browser matches the fragment as written, then percent-decoded (the HTML standard's order)
            if anchor and target.suffix == '.html' and target.parent == DOCS and \
                    not {anchor, unquote(anchor)} & ids[target.name]:
                broken.append(f'{p.name}: {ref} (no id {anchor!r})')
    assert not broken, 'broken links or images:\n' + '\n'.join(broken[:30])
    check_offline(DOCS)
    files = [f for f in DOCS.rglob('*') if f.is_file()]
    total = sum(f.stat().st_size for f in files) / 1e6
    big = [f'{f.relative_to(DOCS)} {f.stat().st_size / 1e6:.1f} MB' for f in files
           if f.stat().st_size > FILE_BUDGET_MB * 1e6 and f.name != 'plotly.min.js']
    assert total <= SITE_BUDGET_MB, f'docs/ is {total:.1f} MB, over its {SITE_BUDGET_MB} MB budget'
    assert not big, f'files over {FILE_BUDGET_MB} MB: {big}'
    figures = [f for f in files if f.suffix in ('.png', '.jpg')]
    assert len(figures) >= 20, f'only {len(figures)} figures in docs/'


# ---------------------------------------------------------------------------------------------------------------------
# README and index agree

def md_table(text: str, header: str) -> list[list[str]]:
    "The rows of the markdown table whose header row starts with `header`, links and backticks reduced to their text."
    lines = text.splitlines()
    i = next((k for k, l in enumerate(lines) if l.startswith(header)), None)
    assert i is not None, f'no table starting {header!r}'
    rows = []
    for l in lines[i:]:
        if not l.startswith('|'): break
        if re.fullmatch(r'[|\s:-]+', l): continue
        cells = [re.sub(r'\[([^\]]*)\]\([^)]*\)', r'\1', c).replace('`', '').replace('**', '').strip()
                 for c in l.strip().strip('|').split('|')]
        rows.append(cells)
    return rows


def index_markdown() -> str:
    nb = json.loads((REPO / 'nbs' / 'index.ipynb').read_text(encoding='utf-8'))
    return '\n\n'.join(''.join(c['source']) for c in nb['cells'] if c['cell_type'] == 'markdown')


@pytest.mark.parametrize('header', ['| notebook | module |', '| PSNR (dB) / SSIM |'])
def test_readme_and_index_agree(header):
    readme, index = (REPO / 'README.md').read_text(encoding='utf-8'), index_markdown()
    a, b = md_table(readme, header), md_table(index, header)
    assert len(a) > 2 and a == b, f'README and nbs/index.ipynb differ in the table {header!r}'


def test_notebook_map_lists_every_notebook():
    rows = md_table((REPO / 'README.md').read_text(encoding='utf-8'), '| notebook | module |')[1:]
    listed = [r[0] for r in rows]
    on_disk = sorted(p.stem for p in (REPO / 'nbs').glob('*.ipynb'))
    assert sorted(listed) == on_disk, f'the map lists {sorted(set(listed) ^ set(on_disk))} wrongly'


# ---------------------------------------------------------------------------------------------------------------------
# the site in a browser

def chromium_dom(page: Path) -> str:
    r = subprocess.run([CHROMIUM, '--headless', '--no-sandbox', '--disable-gpu', '--allow-file-access-from-files',
                        '--virtual-time-budget=20000', '--dump-dom', page.as_uri()],
                       capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, r.stderr[-2000:]
    return r.stdout


@pytest.mark.skipif(CHROMIUM is None, reason='no chromium here to open the site in')
def test_site_renders_in_chromium():
    site_pages()
    plotted = [p for p in sorted(DOCS.glob('*.html')) if 'Plotly.newPlot' in p.read_text(encoding='utf-8')]
    assert plotted, 'no page draws a plotly figure'
    dom = chromium_dom(plotted[0])
    assert 'class="MathJax' in dom or 'MathJax_' in dom, f'MathJax did not typeset {plotted[0].name}'
    n_div = dom.count('class="plotly-graph-div')
    n_drawn = len(re.findall(r'class="[^"]*\bsvg-container\b', dom))
    assert n_div >= 1 and n_drawn >= n_div, f'{plotted[0].name}: plotly drew {n_drawn} of {n_div} figures'
