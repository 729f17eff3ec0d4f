#!/usr/bin/env python
"""Build the documentation site into docs/ from the notebooks, offline: nbdev's processors + nbconvert's HTML exporter.

    make docs                                                  # every notebook executed once, then rendered (docs/)
    .venv/bin/python scripts/build_docs.py --no-exec           # re-render from the executed copies in _proc/ (seconds)
    .venv/bin/python scripts/build_docs.py nbs/00_core.ipynb --out /tmp/site    # some notebooks only

Per notebook:
1. nbdev's own processors, `nbdev.processors.FilterDefaults().procs()`, in two passes around the execution:
   `add_show_docs` first (a `show_doc(name)` cell after each exported definition); then the kernel runs the notebook
   (nbclient, a fresh kernel in nbs/, cells flagged with settings.ini's `tst_flags` (`#| slow`) or `#| eval: false`
   are left out), so the API docs are rendered by the same kernel as the rest; then every other processor
   (`#| hide` / `#| export` sources removed, the `# Title` / `> summary` cell into frontmatter, backticked names
   linked, ...) except `exec_show_docs`, whose job, running the doc cells, the kernel did. The executed notebook is kept
   in `_proc/` (git-ignored), so `--no-exec` re-renders without running anything.
2. An offline post-pass on the outputs: plotly figures are drawn by one local `_static/plotly.min.js`, their large
   meshes decimated (vertex clustering, stated under the figure) to keep pages small; widgets, which static HTML
   cannot run, become a snapshot of their state (their images and the values of their controls); CDN scripts dropped.
3. nbconvert's `HTMLExporter` with its `lab` template (scripts/docs_template/page.html.j2 adds a sidebar, links the
   lab CSS once from `_static/` and typesets math with a local MathJax 2 from `jupyter-server-mathjax`); images are
   written as PNG files beside the page (`<page>_files/`), so the repository shows every figure without running.

Size (tests/test_docs.py holds the budget: 25 MB in all, 1 MB a file but plotly.js): about 17 MB, of which 7.6 MB are
`_static/` (plotly.js 4.6, the MathJax 2 subset 2.7, JupyterLab's CSS 0.25), 5 MB images and 4.4 MB pages.
"""
from __future__ import annotations

import argparse, base64, html, json, os, re, shutil, sys, time
from pathlib import Path

import nbformat
import numpy as np

REPO = Path(__file__).resolve().parents[1]
TEMPLATE_DIR = Path(__file__).resolve().parent / 'docs_template'
MARKER = '.built-by-build_docs'            # marks a folder this script owns, so a full build may clear it
JPEG_OVER = 150_000                        # bytes: a larger PNG figure is written as a JPEG when that halves it
MAX_FIGURE_VERTICES = 8000                 # plotly meshes are decimated to this many vertices a figure (~320 KB)
PAGE_WIDTH = 1000                          # px: a wider plotly figure is drawn at the column's width
MIN_MESH_VERTICES = 1500                   # ... but no mesh below this many
CDN_HOSTS = ('cdn.plot.ly', 'cdn.jsdelivr.net', 'unpkg.com', 'cdnjs.cloudflare.com', 'cdn.mathjax.org',
             'code.jquery.com', 'fonts.googleapis.com', 'requirejs.org')
WIDGET_MIME, PLOTLY_MIME = 'application/vnd.jupyter.widget-view+json', 'application/vnd.plotly.v1+json'


def log(*a): print(*a, flush=True)


def config():
    from nbdev.config import get_config
    return get_config(path=REPO)


# ---------------------------------------------------------------------------------------------------------------------
# 1. nbdev's processors around an nbclient run

def nbdev_procs(stage: str) -> list:
    "nbdev's doc processors (settings.ini's skip_procs/procs honoured): 'before' the kernel run or 'after' it."
    from nbdev.processors import FilterDefaults, add_show_docs, exec_show_docs, populate_language
    procs = list(FilterDefaults().procs())
    if stage == 'before': return [p for p in procs if p in (populate_language, add_show_docs)]
    return [p for p in procs if p not in (add_show_docs, exec_show_docs)]


def run_procs(nb: nbformat.NotebookNode, nb_path: Path, stage: str):
    "Apply nbdev's processors of `stage`; returns (notebook, frontmatter). 'before' keeps the `#|` lines for nbclient."
    from execnb.nbio import dict2nb, nb2dict
    from nbdev.process import NBProcessor
    enb = dict2nb(json.loads(nbformat.writes(nb)))
    enb.path_ = str(nb_path)
    cwd = os.getcwd(); os.chdir(REPO)                        # nbdev reads settings.ini from the working folder
    try: NBProcessor(nb=enb, procs=nbdev_procs(stage), rm_directives=stage != 'before').process()
    finally: os.chdir(cwd)
    fm = dict(getattr(enb, 'frontmatter_', {}) or {})
    d = nb2dict(enb)
    for c in d['cells']:
        for k in [k for k in c if k.endswith('_')]: del c[k]           # nbdev's working attributes
        if c['cell_type'] == 'code': c.setdefault('outputs', []); c.setdefault('execution_count', None)
        else: c.pop('outputs', None); c.pop('execution_count', None)
    return nbformat.reads(json.dumps(d), as_version=4), fm


_re_directive = re.compile(r'^\s*#\s*\|\s*([\w-]+):?\s*(.*?)\s*$')


def directives(source: str) -> dict:
    "The leading `#| key: value` lines of a cell: {'slow': '', 'eval': 'false', ...}."
    d = {}
    for line in source.splitlines():
        m = _re_directive.match(line)
        if not m: break
        d[m.group(1).lower()] = m.group(2).strip().strip('"\'')
    return d


def execute(nb, skip_flags: set, timeout: int):
    "Run `nb` in place in a fresh kernel started in nbs/ (as Jupyter would); returns the indices of cells that raised."
    from nbclient import NotebookClient

    class Client(NotebookClient):                    # nbclient's per-cell hook: flagged cells keep no outputs
        async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
            d = directives(cell.source) if cell.cell_type == 'code' else {}
            if d.get('eval', '').lower() == 'false' or skip_flags & set(d): return cell
            return await super().async_execute_cell(cell, cell_index, execution_count, store_history)

    env_in_test = os.environ.pop('IN_TEST', None)    # the notebooks run as a reader runs them, not as under nbdev_test
    try:
        Client(nb, timeout=timeout, kernel_name='python3', allow_errors=True, store_widget_state=True,
               extra_arguments=['--IPKernelApp.log_level=ERROR'],
               resources={'metadata': {'path': str(REPO / 'nbs')}}).execute()
    finally:
        if env_in_test is not None: os.environ['IN_TEST'] = env_in_test
    return [i for i, c in enumerate(nb.cells) if c.cell_type == 'code'
            and any(o.get('output_type') == 'error' for o in c.get('outputs', []))]


# ---------------------------------------------------------------------------------------------------------------------
# 2. the offline post-pass: plotly (one local plotly.js, decimated meshes), widget snapshots, Quarto-only markup

def _array(v):
    "A plotly array: a list, or plotly.py's typed-array form {'dtype', 'bdata'[, 'shape']}."
    if isinstance(v, dict) and 'bdata' in v:
        a = np.frombuffer(base64.b64decode(v['bdata']), dtype=v['dtype'])
        return a.reshape([int(s) for s in str(v['shape']).split(',')]) if 'shape' in v else a
    return None if v is None else np.asarray(v)


def _typed(a: np.ndarray) -> dict:
    return {'dtype': a.dtype.str.lstrip('<|'), 'bdata': base64.b64encode(np.ascontiguousarray(a).tobytes()).decode()}


def _clusters(P: np.ndarray, g: int) -> np.ndarray:
    "The cell of a g x g x g grid over the bounding cube of the points P (n, 3) that each point falls in, as one int."
    k = np.minimum(((P - P.min(0)) / max(float(np.ptp(P, 0).max()), 1e-12) * g).astype(np.int64), g - 1)
    return (k[:, 0] * g + k[:, 1]) * g + k[:, 2]


def decimate_mesh3d(trace: dict, max_vertices: int = MAX_FIGURE_VERTICES) -> tuple[int, int] | None:
    """Vertex-clustering decimation of a plotly Mesh3d trace, in place: the vertices in one cell of a cubic grid (the
    finest grid with at most `max_vertices` occupied cells) merge into their mean, faces are re-indexed and the
    collapsed or repeated ones dropped; per-vertex values are averaged (numbers) or taken from one vertex (colour
    names), per-face ones follow their faces. Returns (vertices before, after), or None if the trace was left alone."""
    if any(trace.get(k) is None for k in 'xyzijk'): return None
    P = np.stack([_array(trace[k]) for k in 'xyz'], 1).astype(np.float64)
    if len(P) <= max_vertices: return None
    g_lo, g_hi = 1, 4096                              # grid cells per axis: bisect to the finest that fits
    while g_lo < g_hi:
        g = (g_lo + g_hi + 1) // 2
        g_lo, g_hi = (g, g_hi) if len(np.unique(_clusters(P, g))) <= max_vertices else (g_lo, g - 1)
    _, first, cluster = np.unique(_clusters(P, g_lo), return_index=True, return_inverse=True)
    cluster = cluster.ravel(); m = len(first); count = np.bincount(cluster, minlength=m)

    def mean(a):                                       # (n, ...) per-vertex values -> (m, ...) cluster means
        a = a.reshape(len(a), -1).astype(np.float64)
        return np.stack([np.bincount(cluster, a[:, d], m) for d in range(a.shape[1])], 1) / count[:, None]

    F = cluster[np.stack([_array(trace[k]) for k in 'ijk'], 1).astype(np.int64)]
    keep = (F[:, 0] != F[:, 1]) & (F[:, 1] != F[:, 2]) & (F[:, 0] != F[:, 2])              # collapsed triangles
    kept = np.flatnonzero(keep)
    kept = kept[np.sort(np.unique(np.sort(F[kept], 1), axis=0, return_index=True)[1])]     # repeats (first kept)
    Q = mean(P)
    for d, k in enumerate('xyz'): trace[k] = _typed(Q[:, d].astype(np.float32))
    for d, k in enumerate('ijk'): trace[k] = _typed(F[kept, d].astype(np.uint16 if m < 65536 else np.uint32))
    for k in ('intensity', 'vertexcolor', 'facecolor', 'text', 'hovertext'):
        v = trace.get(k)
        a = None if v is None or isinstance(v, str) else _array(v)
        if a is None or a.ndim == 0: continue
        if len(a) == len(P):
            if a.dtype.kind not in 'iuf': trace[k] = a[first].tolist()                # colour names: one vertex's
            elif a.ndim == 1: trace[k] = _typed(mean(a)[:, 0].astype(np.float32))
            else: trace[k] = np.round(mean(a), 4).reshape((m,) + a.shape[1:]).tolist()
        elif k == 'facecolor' and len(a) == len(F): trace[k] = a[kept].tolist()
    return len(P), m

def _plotly_calls(h: str) -> list[dict]:
    "The figures of a `Plotly.newPlot(id, data, layout, config)` call in HTML (plotly's 'notebook*' renderers)."
    dec, figs, pos = json.JSONDecoder(), [], 0
    while (i := h.find('Plotly.newPlot(', pos)) >= 0:
        pos = i + 15
        try:
            args, j = [], h.index(',', pos) + 1                  # skip the div id
            for _ in range(2):
                while h[j] in ' \n\t,': j += 1
                v, j = dec.raw_decode(h, j); args.append(v)
            figs.append({'data': args[0], 'layout': args[1]})
        except (ValueError, IndexError): pass
    return figs


def plotly_html(fig: dict) -> str:
    "One figure as a <div> drawn by the page's local plotly.js (no copy of plotly.js, no CDN), big meshes decimated."
    import plotly.io as pio
    meshes = [t for t in fig.get('data', []) if t.get('type') == 'mesh3d']
    per_mesh = max(MIN_MESH_VERTICES, MAX_FIGURE_VERTICES // max(len(meshes), 1))
    cut = [r for t in meshes if (r := decimate_mesh3d(t, per_mesh))]
    if (fig.get('layout') or {}).get('width', 0) > PAGE_WIDTH: fig['layout'].pop('width')   # fit the page's column
    h = pio.to_html(fig, include_plotlyjs=False, include_mathjax=False, full_html=False, validate=False,
                    config={'responsive': True})
    if cut:
        sizes = sorted(set(cut), key=cut.index)
        h += ('<p class="docs-note">Decimated for this page (vertex clustering): ' +
              ', '.join(f'{a:,} → {b:,} vertices' + (f' ({cut.count((a, b))} meshes)' if cut.count((a, b)) > 1 else '')
                        for a, b in sizes) + '. The notebook draws every vertex.</p>')
    return h


def smaller_image(data: dict) -> dict:
    "A PNG output over JPEG_OVER bytes (photos, render grids) as a JPEG when that is less than half its size."
    png = data.get('image/png')
    if not isinstance(png, str) or len(png) * 3 // 4 < JPEG_OVER: return data
    import io
    from PIL import Image
    im = Image.open(io.BytesIO(base64.b64decode(png)))
    rgb = Image.new('RGB', im.size, 'white')                        # transparency onto white, as the page shows it
    rgb.paste(im.convert('RGBA'), mask=im.convert('RGBA').getchannel('A'))
    buf = io.BytesIO(); rgb.save(buf, 'JPEG', quality=88)
    if buf.tell() * 2 > len(png) * 3 // 4: return data
    return {**{k: v for k, v in data.items() if k != 'image/png'}, 'image/jpeg': base64.b64encode(buf.getvalue()).decode()}


_re_script = re.compile(r'<script\b[^>]*>.*?</script>', re.S | re.I)


def _offline(h: str) -> str:
    "Drop the scripts that load from a CDN or configure a CDN plotly/require.js."
    return _re_script.sub(lambda m: '' if any(c in m.group(0) for c in CDN_HOSTS + ('PlotlyConfig', 'require.config',
                                                                               'requirejs.config')) else m.group(0), h)


def widget_snapshot(model_id: str, state: dict) -> list[dict]:
    """Outputs standing in for a widget: a note with its controls' values, its images (as image outputs, so they are
    written as files like any figure) and the outputs of its Output widgets, in the widget tree's order."""
    controls, outs, seen = [], [], set()

    def walk(mid):
        if mid in seen or mid not in state: return
        seen.add(mid)
        w = state[mid]; s = w.get('state', {}); name = s.get('_model_name', '')
        if name == 'ImageModel':
            buf = next((b for b in w.get('buffers', []) if b.get('path') == ['value']), None)
            if buf: outs.append({'output_type': 'display_data', 'metadata': {},
                                 'data': {f"image/{s.get('format', 'png').replace('jpg', 'jpeg')}": buf['data']}})
        elif name == 'OutputModel': outs.extend(s.get('outputs', []))
        elif 'value' in s and not isinstance(s['value'], (dict, list)) and s.get('description', '') != '':
            v = s['value']
            controls.append(f"{html.escape(str(s.get('description')).rstrip(':'))} = "
                            f"{html.escape(f'{v:.4g}' if isinstance(v, float) else str(v))}")
        for c in s.get('children', []): walk(str(c).replace('IPY_MODEL_', ''))
    walk(model_id)
    note = ('<div class="docs-widget">Interactive widget, shown as a snapshot of its first state' +
            (f" ({'; '.join(controls)})" if controls else '') + '. Open the notebook in Jupyter to move it.</div>')
    return [{'output_type': 'display_data', 'metadata': {}, 'data': {'text/html': note}}] + outs


def offline_outputs(outputs: list, wstate: dict) -> list:
    "Each output made static and offline: widgets -> snapshots, plotly -> local plotly.js, CDN scripts dropped."
    res = []
    for o in outputs:
        data = o.get('data', {})
        if WIDGET_MIME in data:
            res += offline_outputs([nbformat.from_dict(x) for x in
                                    widget_snapshot(data[WIDGET_MIME].get('model_id', ''), wstate)], wstate)
            continue
        h = data.get('text/html')
        h = ''.join(h) if isinstance(h, list) else h
        figs = [data[PLOTLY_MIME]] if PLOTLY_MIME in data else _plotly_calls(h or '')
        if figs:
            o = nbformat.from_dict({'output_type': 'display_data', 'metadata': {},
                                    'data': {'text/html': ''.join(plotly_html(f) for f in figs)}})
        elif h is not None:
            h = _offline(h)
            if not h.strip() and len(data) == 1: continue                    # it only loaded a library
            o['data']['text/html'] = h
        o.get('data', {}).pop('application/javascript', None)
        if 'data' in o: o['data'] = smaller_image(o['data'])
        res.append(o)
    return res


def local_paths(o):
    "Paths of the machine that built the site, in warnings and tracebacks, as the reader's (repo-relative, `~`)."
    def fix(t): return t.replace(str(REPO) + os.sep, '').replace(str(Path.home()), '~')
    if o.get('output_type') == 'stream': o['text'] = fix(''.join(o['text']) if isinstance(o['text'], list) else o['text'])
    if o.get('output_type') == 'error': o['traceback'] = [fix(t) for t in o.get('traceback', [])]
    return o


_re_quarto_attrs = re.compile(r'\[source\]\(([^)\s]+)\)\{[^}]*\}')


def prepare(nb) -> bool:
    """The Quarto directives nbdev's processors leave (`echo`, `output`, `include`) as nbconvert tags; outputs made
    offline. Returns whether the page needs plotly.js."""
    wstate = (nb.metadata.get('widgets', {}).get('application/vnd.jupyter.widget-state+json', {}) or {}).get('state', {})
    cells = []
    for c in nb.cells:
        if c.cell_type == 'raw': continue                                  # nbdev's frontmatter
        if c.cell_type == 'markdown': cells.append(c); continue
        d = directives(c.source)
        if d.get('include', '').lower() == 'false': continue
        c.source = '\n'.join(l for l in c.source.splitlines() if not _re_directive.match(l)).strip('\n')
        if d.get('output', '').lower() == 'false': c.outputs = []
        c.outputs = [local_paths(o) for o in offline_outputs(c.get('outputs', []), wstate)]
        if c.metadata.pop('docs_not_run', False):
            c.outputs.append(nbformat.from_dict({'output_type': 'display_data', 'metadata': {}, 'data': {
                'text/html': '<div class="docs-note">Not run when these pages were built (a <code>#| slow</code> '
                             'or <code>#| eval: false</code> cell).</div>'}}))
        for o in c.outputs:
            md = o.get('data', {}).get('text/markdown')
            if md is not None:                                           # show_doc's Quarto-only link attributes
                o['data']['text/markdown'] = _re_quarto_attrs.sub(r'<a class="docs-source" href="\1">source</a>',
                                                                  ''.join(md) if isinstance(md, list) else md)
        if d.get('echo', '').lower() == 'false' or not c.source.strip():
            c.metadata['tags'] = sorted(set(c.metadata.get('tags', [])) | {'remove_input'})
        if c.source.strip() or c.outputs: cells.append(c)
    nb.cells = cells
    nb.metadata.pop('widgets', None)                 # else the template loads the widget manager from a CDN
    return 'Plotly.newPlot' in nbformat.writes(nb)


# ---------------------------------------------------------------------------------------------------------------------
# 3. nbconvert's HTML exporter, links, static files

def exporter():
    from nbconvert import HTMLExporter
    from traitlets.config import Config
    c = Config()
    c.HTMLExporter.template_name = 'lab'
    c.HTMLExporter.extra_template_paths = [str(TEMPLATE_DIR)]
    c.HTMLExporter.template_file = 'page.html.j2'
    c.HTMLExporter.exclude_input_prompt = c.HTMLExporter.exclude_output_prompt = True
    c.HTMLExporter.embed_images = False
    c.TagRemovePreprocessor.enabled = True
    c.TagRemovePreprocessor.remove_input_tags = {'remove_input'}
    c.ExtractOutputPreprocessor.enabled = True                   # images become files beside the page
    return HTMLExporter(config=c)


def fix_links(h: str, cfg, pages: set) -> str:
    "nbdev's links to the public site, and links to notebooks, -> pages of this site; nbdev's lower-case anchors."
    base = f"{str(cfg.get('doc_host', '')).rstrip('/')}/{str(cfg.get('doc_baseurl', '')).strip('/')}/".replace('//', '/')
    base = base.replace(':/', '://')
    h = re.sub(r'href="' + re.escape(base) + r'([^"#]*)(#[^"]*)?"',
               lambda m: f'href="{m.group(1)}{m.group(2) or ""}"' if m.group(1) in pages else m.group(0), h)
    h = re.sub(r'href="(?![a-z][\w+.-]*:|/|#)([^"#?/]+?)\.ipynb(#[^"]*)?"',
               lambda m: f'href="{page_name(Path(m.group(1)))}{m.group(2) or ""}"', h)
    return re.sub(r'<h([1-6]) id="([A-Za-z_][\w.]*)"',
                  lambda m: f'<a id="{m.group(2).lower()}"></a>{m.group(0)}' if m.group(2).lower() != m.group(2)
                  else m.group(0), h)


def resolve_anchors(out: Path):
    """Site-wide: a link to a name with no heading of its own (nbdev links every backticked name, but show_doc
    documents classes, not each method or private helper) goes to the nearest documented parent, else to the page."""
    from urllib.parse import unquote
    pages = {p.name: p.read_text(encoding='utf-8') for p in out.glob('*.html')}
    ids = {n: set(re.findall(r'\bid="([^"]+)"', s)) for n, s in pages.items()}

    def fix(m, here):
        page, anchor = m.group(1) or here, m.group(2)
        if page not in ids or {anchor, unquote(anchor)} & ids[page]: return m.group(0)
        parts = anchor.split('.')[:-1]
        while parts and '.'.join(parts) not in ids[page]: parts.pop()
        return f'href="{m.group(1) or here}' + (f'#{".".join(parts)}"' if parts else '"')
    for name, s in pages.items():
        t = re.sub(r'href="([\w.-]+\.html)?#([^"]+)"', lambda m: fix(m, name), s)
        if t != s: (out / name).write_text(t, encoding='utf-8')


def inline_markdown(s: str) -> str:
    "A one-line markdown summary (the notebook's `> ...` line) as HTML, without the paragraph around it."
    from nbconvert.filters.markdown_mistune import markdown2html_mistune
    return re.sub(r'^\s*<p>|</p>\s*$', '', markdown2html_mistune(s).strip())


def page_name(nb_path: Path) -> str:
    "nbdev's page name for a notebook (`00_core.ipynb` -> `core.html`), the one its `_modidx.py` links to."
    return 'index.html' if nb_path.stem == 'index' else re.sub(r'^\d+[a-zA-Z0-9]*_', '', nb_path.stem.lower()) + '.html'


def notebook_title(nb_path: Path) -> str:
    nb = json.loads(nb_path.read_text(encoding='utf-8'))
    for c in nb['cells']:
        m = re.search(r'^#\s+(\S.*?)\s*$', ''.join(c['source']), re.M) if c['cell_type'] == 'markdown' else None
        if m: return m.group(1)
    return nb_path.stem


def copy_static(out: Path):
    "Once per site: plotly.js (plotly package), JupyterLab's CSS (nbconvert's lab template), MathJax 2 (subset)."
    import plotly, jupyter_server_mathjax
    from jupyter_core.paths import jupyter_path
    st = out / '_static'; st.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(Path(plotly.__file__).parent / 'package_data' / 'plotly.min.js', st / 'plotly.min.js')
    lab = next(Path(p) / 'lab' / 'static' for p in jupyter_path('nbconvert', 'templates')
               if (Path(p) / 'lab' / 'static' / 'index.css').exists())
    for n in ('index.css', 'theme-light.css'): shutil.copyfile(lab / n, st / n)
    shutil.copyfile(TEMPLATE_DIR / 'docs.css', st / 'docs.css')
    mj, dst = Path(jupyter_server_mathjax.__file__).parent / 'static', st / 'mathjax'
    keep = ['MathJax.js', 'config/TeX-AMS-MML_HTMLorMML-full.js', 'config/Safe.js', 'jax/input/TeX', 'jax/element',
            'jax/output/HTML-CSS', 'jax/output/NativeMML', 'fonts/HTML-CSS/STIX-Web', 'extensions/TeX',
            'extensions/MathMenu.js', 'extensions/MathZoom.js', 'extensions/Safe.js', 'extensions/tex2jax.js',
            'extensions/mml2jax.js', 'extensions/MathEvents.js', 'extensions/toMathML.js', 'localization/en']
    for k in keep:
        s = mj / k
        if s.is_dir(): shutil.copytree(s, dst / k, dirs_exist_ok=True)
        elif s.exists(): (dst / k).parent.mkdir(parents=True, exist_ok=True); shutil.copyfile(s, dst / k)


def nav_html(pages: list[tuple[str, str]], current: str, cfg) -> str:
    items = ''.join(f'<li{" class=current" if s == current else ""}><a href="{s}">{html.escape(t)}</a></li>'
                    for s, t in pages)
    return (f'<div class="docs-project"><a href="index.html">{html.escape(str(cfg.get("title", "")))}</a></div>'
            f'<ol>{items}</ol>')


def pager_html(pages: list[tuple[str, str]], current: str) -> str:
    names = [s for s, _ in pages]
    if current not in names: return ''
    i = names.index(current)
    prev = f'<a href="{pages[i-1][0]}">← {html.escape(pages[i-1][1])}</a>' if i > 0 else '<span></span>'
    nxt = f'<a href="{pages[i+1][0]}">{html.escape(pages[i+1][1])} →</a>' if i + 1 < len(pages) else '<span></span>'
    return f'<div class="docs-pager">{prev}{nxt}</div>'


# ---------------------------------------------------------------------------------------------------------------------

def build(notebooks: list[Path], out: Path, run: bool, full: bool, slow: bool = False, timeout: int = 1800,
          proc: Path = REPO / '_proc') -> int:
    "Pages for `notebooks` in `out`; `full`: the whole site, cleared first; executed notebooks are kept in `proc`."
    cfg = config()
    skip = set() if slow else set(str(cfg.get('tst_flags', '')).replace(',', ' ').split())
    out = out.resolve(); proc.mkdir(parents=True, exist_ok=True)
    if out.exists() and any(out.iterdir()) and not (out / MARKER).exists():
        raise SystemExit(f'build_docs: {out} is not empty and was not built by this script: refusing to write there')
    if full and out.exists(): shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True); (out / MARKER).write_text('built by scripts/build_docs.py\n')
    (out / '.nojekyll').write_text('')             # GitHub Pages: serve _static/ as it is (no Jekyll)
    copy_static(out)
    names = {page_name(p) for p in notebooks} | {p.name for p in out.glob('*.html')}
    pages = sorted(((page_name(p), notebook_title(p)) for p in sorted((REPO / 'nbs').glob('*.ipynb'))
                    if page_name(p) in names), key=lambda st: (st[0] != 'index.html'))
    problems, t_all, ex = [], time.time(), exporter()
    for k, path in enumerate(notebooks, 1):
        t0, cache = time.time(), proc / path.name
        if run:
            nb, _ = run_procs(nbformat.read(path, as_version=4), path, 'before')
            nb.cells.insert(0, nbformat.v4.new_code_cell('#| hide\nfrom nbdev.showdoc import show_doc'))
            for c in nb.cells:
                d = directives(c.source) if c.cell_type == 'code' else {}
                if d.get('eval', '').lower() == 'false' or skip & set(d): c.metadata['docs_not_run'] = True
            errors = execute(nb, skip, timeout)
            if errors: problems.append(f'{path.name}: cells {errors} raised (their tracebacks are on the page)')
            nbformat.write(nb, cache)
            log(f'[{k}/{len(notebooks)}] {path.name}: executed in {time.time() - t0:.0f} s' +
                (f', ERRORS in cells {errors}' if errors else ''))
        elif not cache.exists():
            problems.append(f'{path.name}: no executed copy in {cache} (run without --no-exec)'); continue
        try: render(path, nbformat.read(cache, as_version=4), out, ex, cfg, pages, names)
        except Exception as e:                         # one broken page must not cost the other notebooks' runs
            problems.append(f'{path.name}: rendering failed: {type(e).__name__}: {e}')
    resolve_anchors(out)
    log(f'docs: {len(notebooks)} page(s) in {time.time() - t_all:.0f} s -> {out / "index.html"}')
    if problems: log('problems:\n  ' + '\n  '.join(problems))
    return 1 if problems else 0


def render(path: Path, nb, out: Path, ex, cfg, pages: list, names: set):
    "One executed notebook -> out/<page>.html and its images in out/<page>_files/."
    nb, fm = run_procs(nb, path, 'after')
    needs_plotly = prepare(nb)
    name = page_name(path)
    res = {'metadata': {'name': fm.get('title', path.stem)}, 'output_files_dir': name[:-5] + '_files',
           'docs': {'nav': nav_html(pages, name, cfg), 'pager': pager_html(pages, name), 'plotly': needs_plotly,
                    'title': html.escape(str(fm.get('title', ''))),
                    'description': inline_markdown(str(fm.get('description', '')))}}
    body, res = ex.from_notebook_node(nb, resources=res)
    body = fix_links(body, cfg, names)
    shutil.rmtree(out / res['output_files_dir'], ignore_errors=True)
    for f, data in (res.get('outputs') or {}).items():
        (out / f).parent.mkdir(parents=True, exist_ok=True); (out / f).write_bytes(data)
    (out / name).write_text(body, encoding='utf-8')
    if cdn := [c for c in CDN_HOSTS if c in body]: raise ValueError(f'{name} still names {cdn}')
    log(f'    -> {out / name} ({len(body) / 1e6:.2f} MB, {len(res.get("outputs") or {})} images'
        f'{", plotly" if needs_plotly else ""})')


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split('\n\n', 1)[1])
    ap.add_argument('notebooks', nargs='*', help='notebooks (default: every notebook in nbs/, a full rebuild)')
    ap.add_argument('--out', help='output folder (default: docs/)')
    ap.add_argument('--no-exec', action='store_true', help='render the executed copies kept in _proc/ (no kernel)')
    ap.add_argument('--slow', action='store_true', help='also execute cells flagged #| slow')
    ap.add_argument('--proc', default=str(REPO / '_proc'), help='where executed notebooks are kept (default _proc/)')
    ap.add_argument('--timeout', type=int, default=1800, help='seconds one cell may run (default 1800)')
    a = ap.parse_args(argv)
    nbs = [Path(p).resolve() for p in a.notebooks] or sorted((REPO / 'nbs').glob('*.ipynb'))
    if bad := [str(p) for p in nbs if p.suffix != '.ipynb' or not p.exists()]:
        raise SystemExit(f'build_docs: no notebook at {bad}')
    return build(nbs, Path(a.out) if a.out else REPO / 'docs', run=not a.no_exec, full=not a.notebooks,
                 slow=a.slow, timeout=a.timeout, proc=Path(a.proc))


if __name__ == '__main__':
    sys.exit(main())
