#!/usr/bin/env python
"""Build the documentation site from the notebooks, offline (no Quarto, no network).

    .venv/bin/python scripts/build_docs.py                 # every notebook in nbs/, executed -> _docs/
    .venv/bin/python scripts/build_docs.py --no-exec       # outputs stored in the notebooks (fast; the committed
                                                           # notebooks carry none, so no figures: for quick checks)
    .venv/bin/python scripts/build_docs.py nbs/01_morphable.ipynb --out /tmp/site   # some notebooks only
    make docs                                              # the same as the first line

For each notebook, in file-name order:
1. execute it in a fresh Jupyter kernel from its own folder (nbclient), unless `--no-exec`; cells flagged with one of
   settings.ini's `tst_flags` (`#| slow`) or `#| eval: false` are not run and keep their stored outputs (`--slow` runs
   the slow ones too);
2. run nbdev's own doc processors (the ones `nbdev_docs` uses before Quarto): `#| export` cells become `show_doc` API
   docs (signature, docments comments, docstring, source link), `#| hide` / `#| export` sources vanish, the
   `# Title` + `> summary` cell becomes the page header, backticked names link to their docs;
3. make the outputs work with no network: plotly figures load plotly.js from the site's own `_static/plotly.min.js`
   (copied from the installed plotly package; every CDN `<script>` the renderers emit is dropped), math is typeset by
   a local MathJax 2 (`jupyter-server-mathjax` package), ipywidgets, which static HTML cannot run, are drawn as a
   disabled snapshot of their state plus the output they produced, with a note;
4. convert to HTML with nbconvert's `lab` template plus a navigation sidebar.

The home page is the notebook named `index.ipynb` (or `NN_index.ipynb`); without one a generated page lists every
notebook. Open `_docs/index.html` in a browser (file:// works), or `python -m http.server -d _docs`.
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import copy
import html
import json
import os
import re
import shutil
import sys
import time
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MARKER = '.meshreenact-docs'           # marks a folder this script owns (it may wipe it on a full build)
MANIFEST = '_pages.json'               # the pages of the site, so a partial build keeps the full sidebar
CDN_HOSTS = ('cdn.plot.ly', 'cdn.jsdelivr.net', 'unpkg.com', 'cdnjs.cloudflare.com', 'cdn.mathjax.org',
             'code.jquery.com', 'fonts.googleapis.com', 'requirejs.org')


def log(*a):
    print(*a, flush=True)


# ---------------------------------------------------------------------------------------------------------------------
# configuration and notebook discovery

def nbdev_config():
    from nbdev.config import get_config
    return get_config(path=REPO)


def slug_of(nb_path: Path) -> str:
    "Page name as nbdev names it (`00_core.ipynb` -> `core.html`), so nbdev's doc links resolve."
    from nbdev.doclinks import _nbpath2html
    return _nbpath2html(Path(nb_path.name)).name


def find_notebooks(args_nbs, nbs_dir: Path) -> list[Path]:
    if not args_nbs: args_nbs = [nbs_dir]
    out = []
    for a in args_nbs:
        p = Path(a).resolve()
        if p.is_dir(): out += sorted(q for q in p.glob('*.ipynb') if not q.name.startswith(('_', '.')))
        elif p.suffix == '.ipynb' and p.exists(): out.append(p)
        else: raise SystemExit(f'build_docs: no notebook at {a!r}')
    return out


# ---------------------------------------------------------------------------------------------------------------------
# cell directives (`#| key: value` lines at the top of a code cell)

_re_directive = re.compile(r'^\s*#\s*\|\s*([\w-]+:?)\s*(.*?)\s*$')


def split_directives(source: str) -> tuple[dict, str]:
    "Leading `#|` lines of a code cell -> ({'echo': 'false', 'slow': ''}, rest of the source)."
    lines, d = source.splitlines(), {}
    i = 0
    while i < len(lines):
        m = _re_directive.match(lines[i])
        if m: d[m.group(1).rstrip(':').lower()] = m.group(2).strip().strip('"\''); i += 1
        elif not lines[i].strip() and d: i += 1
        else: break
    return d, '\n'.join(lines[i:])


def is_false(v) -> bool: return str(v).strip().lower() in ('false', 'no', '0')


# ---------------------------------------------------------------------------------------------------------------------
# 1. execution

def execute(nb, nb_path: Path, skip_flags: set, timeout: int):
    "Run `nb` in place in a fresh kernel started in the notebook's folder; returns (seconds, cells with errors)."
    from nbclient import NotebookClient

    class Client(NotebookClient):
        async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
            if cell.cell_type != 'code': return cell
            d, _ = split_directives(cell.source)
            if is_false(d.get('eval', 'true')) or skip_flags & set(d): return cell   # keep its stored outputs
            t0 = time.time()
            res = await super().async_execute_cell(cell, cell_index, execution_count, store_history)
            dt = time.time() - t0
            if dt > 10: log(f'      cell {cell_index} took {dt:.0f} s')
            return res

    t0 = time.time()
    client = Client(nb, timeout=timeout, kernel_name='python3', allow_errors=True, store_widget_state=True,
                    extra_arguments=['--IPKernelApp.log_level=ERROR'],
                    resources={'metadata': {'path': str(nb_path.parent)}})
    env_in_test = os.environ.pop('IN_TEST', None)    # a leftover IN_TEST would change what notebooks do
    try: client.execute()
    finally:
        if env_in_test is not None: os.environ['IN_TEST'] = env_in_test
    errors = [i for i, c in enumerate(nb.cells) if c.cell_type == 'code'
              and any(o.get('output_type') == 'error' for o in c.get('outputs', []))]
    return time.time() - t0, errors


# ---------------------------------------------------------------------------------------------------------------------
# 2. nbdev's doc processors

@contextmanager
def _cwd_env(path: Path):
    old, old_in_test = os.getcwd(), os.environ.get('IN_TEST')
    os.chdir(path); os.environ['IN_TEST'] = '1'      # as nbdev's own doc build: notebooks' nbdev_export() no-ops
    try: yield
    finally:
        os.chdir(old)
        if old_in_test is None: os.environ.pop('IN_TEST', None)
        else: os.environ['IN_TEST'] = old_in_test


_SD_DIRS = {'export', 'exports', 'exporti', 'exec_doc'}


def _needed_for_docs(cell) -> bool:
    "Cells nbdev must run to render show_doc: exported cells, show_doc cells and cells made of imports only."
    import ast
    if cell.cell_type != 'code' or not cell.source or 'nbdev_export' + '()' in cell.source: return False
    d = cell.directives_ or {}
    if str(d.get('eval:', [''])[0]).lower() == 'false': return False
    if d.keys() & _SD_DIRS: return True
    try: tree = ast.parse(cell.source)
    except SyntaxError: return False
    if not tree.body: return False
    if all(isinstance(n, (ast.Import, ast.ImportFrom)) for n in tree.body): return True
    return all(isinstance(n, ast.Expr) and getattr(getattr(n.value, 'func', None), 'id', '') == 'show_doc'
               for n in tree.body)


def _doc_procs():
    """nbdev's doc processors, with its `exec_show_docs` made safer: nbdev also re-runs (in this process) any cell that
    mixes imports with other code, which fails when that code uses variables of cells it does not run. Here only
    exported, import-only and show_doc cells run, and a failing one is reported instead of stopping the build."""
    from nbdev.processors import FilterDefaults, exec_show_docs

    class safe_exec_show_docs(exec_show_docs):
        def __call__(self, cell):
            if not getattr(self.nb, 'has_docs_', None) or not hasattr(self, 'k'): return
            fm = getattr(self.nb, 'frontmatter_', {}) or {}
            if str(fm.get('skip_showdoc', '')).lower() in ('true', '1', 'yes'): return
            if not _needed_for_docs(cell): return
            self.k.cell(cell)
            if self.k.exc:
                log(f'      warning: API-doc cell {cell.idx_} failed in nbdev processing: '
                    f'{type(self.k.exc).__name__}: {self.k.exc}')
                self.k.exc = None
    safe_exec_show_docs.__name__ = 'exec_show_docs'
    return [safe_exec_show_docs if p is exec_show_docs else p for p in FilterDefaults().procs()]


def nbdev_process(nb, nb_path: Path):
    "Apply nbdev's doc processors (show_doc for exports, hide, frontmatter, links); returns (nbformat nb, frontmatter)."
    import nbformat, warnings
    from execnb.nbio import dict2nb, nb2dict
    from nbdev.process import NBProcessor
    kept = {}                                      # the outputs of the real run (or stored ones), by cell
    for i, c in enumerate(nb.cells):
        c.metadata['docs_i'] = i
        if c.cell_type == 'code': kept[i] = c.outputs
    enb = dict2nb(json.loads(nbformat.writes(nb)))
    enb.path_ = str(nb_path)
    # nbdev reads settings.ini from the working folder: use the notebook's own folder when it is inside the project
    where = nb_path.parent if REPO in nb_path.parents else REPO
    with _cwd_env(where), warnings.catch_warnings():
        warnings.filterwarnings('ignore', message='Found cells containing imports')
        NBProcessor(nb=enb, procs=_doc_procs()).process()
    for c in nb.cells: c.metadata.pop('docs_i', None)
    fm = dict(getattr(enb, 'frontmatter_', {}) or {})
    d = nb2dict(enb)
    for c in d['cells']:                      # nb2dict keeps only notebook fields, but be safe about nbdev's extras
        for k in [k for k in c if k.endswith('_')]: del c[k]
        if c['cell_type'] == 'code': c.setdefault('outputs', []); c.setdefault('execution_count', None)
    out = nbformat.reads(json.dumps(d), as_version=4)   # rejoins execnb's line lists
    for c in out.cells:             # nbdev re-ran some cells in this process: keep the outputs of the real kernel run
        i = c.metadata.pop('docs_i', None)
        if i in kept and c.cell_type == 'code' and not split_directives(c.source)[1].lstrip().startswith('show_doc('):
            c.outputs = kept[i]
    return out, fm


# ---------------------------------------------------------------------------------------------------------------------
# 3. offline outputs: plotly, widgets, show_doc markdown

_re_script = re.compile(r'<script\b([^>]*)>(.*?)</script>', re.S | re.I)
_re_src = re.compile(r'''\bsrc\s*=\s*["']([^"']+)["']''', re.I)
_re_module_import = re.compile(r'''^\s*import\s+["']([^"']+)["'];?\s*$''')


def offline_html(h: str) -> tuple[str, bool]:
    "Drop CDN scripts from an output's HTML; returns (html, needs plotly.js)."
    uses_plotly = 'plotly-graph-div' in h or 'Plotly.newPlot' in h or "require(['plotly']" in h

    def repl(m):
        nonlocal uses_plotly
        attrs, body = m.group(1), m.group(2)
        s = _re_src.search(attrs)
        url = s.group(1) if s else ''
        mi = _re_module_import.match(body) if 'module' in attrs else None
        if mi: url = mi.group(1)
        if url and ('plotly' in url.lower()):
            uses_plotly = True; return ''                       # the page loads _static/plotly.min.js instead
        if url and 'mathjax' in url.lower(): return ''           # the page loads a local MathJax
        if len(body) > 500_000 and 'plotly.js v' in body[:3000]:  # the 'notebook' renderer's inline copy of plotly.js
            uses_plotly = True; return ''
        if 'requirejs.config' in body and 'plotly' in body:        # older 'notebook_connected': require config to a CDN
            uses_plotly = True
            return '<script>' + re.sub(r"\[\s*'https?://[^']*'\s*\]", "[]", body) + '</script>'
        return m.group(0)
    return _re_script.sub(repl, h), uses_plotly


def plotly_json_to_html(spec) -> str:
    import plotly.io as pio
    if isinstance(spec, str): spec = json.loads(spec)
    return pio.to_html(spec, include_plotlyjs=False, include_mathjax=False, full_html=False, validate=False)


_SLIDERS = {'IntSliderModel', 'FloatSliderModel', 'FloatLogSliderModel'}
_RANGES = {'IntRangeSliderModel', 'FloatRangeSliderModel'}
_CHOICES = {'DropdownModel', 'SelectModel', 'RadioButtonsModel', 'ToggleButtonsModel', 'SelectionSliderModel'}
_TEXTS = {'TextModel', 'TextareaModel', 'IntTextModel', 'FloatTextModel', 'BoundedIntTextModel', 'BoundedFloatTextModel',
          'PasswordModel', 'ComboboxModel'}
_BOXES = {'VBoxModel', 'HBoxModel', 'BoxModel', 'GridBoxModel', 'AccordionModel', 'TabModel', 'StackModel'}


def _fmt(v, fmt=None):
    if isinstance(v, float):
        try: return format(v, (fmt or '.2f').lstrip('~')) if fmt else f'{v:.4g}'
        except (ValueError, TypeError): return f'{v:.4g}'
    return html.escape(str(v))


def widget_html(mid: str, state: dict, outputs: list, plotly_flag: list, depth=0) -> str:
    "Static HTML for a widget model (disabled controls); Output widgets' outputs go to `outputs`."
    m = state.get(mid.replace('IPY_MODEL_', ''))
    if m is None or depth > 20: return ''
    name, s = m.get('model_name', ''), m.get('state', {})
    desc = s.get('description', '')
    lab = f'<label>{html.escape(desc)}</label>' if desc else ''
    kids = lambda: ''.join(widget_html(c, state, outputs, plotly_flag, depth + 1) for c in s.get('children', []))
    if name in _BOXES:
        direction = 'row' if name == 'HBoxModel' else 'column'
        return f'<div class="docs-w-box" style="flex-direction:{direction}">{kids()}</div>'
    if name == 'OutputModel':
        outputs.extend(s.get('outputs', [])); return ''
    if name in _SLIDERS:
        lo, hi, st, v = s.get('min', 0), s.get('max', 100), s.get('step', 1), s.get('value', 0)
        pos = v
        if name == 'FloatLogSliderModel':
            import math
            base = s.get('base', 10); pos = math.log(v, base) if v and v > 0 else lo
        return (f'<div class="docs-w-row">{lab}<input type="range" disabled min="{lo}" max="{hi}" step="{st}" '
                f'value="{pos}"><output>{_fmt(v, s.get("readout_format"))}</output></div>')
    if name in _RANGES:
        v = s.get('value', [0, 0])
        return (f'<div class="docs-w-row">{lab}<input type="range" disabled min="{s.get("min", 0)}" '
                f'max="{s.get("max", 100)}" value="{v[0]}"><output>{_fmt(v[0])} – {_fmt(v[1])}</output></div>')
    if name in _CHOICES:
        labels, idx = s.get('_options_labels', []), s.get('index')
        opts = ''.join(f'<option{" selected" if i == idx else ""}>{html.escape(str(l))}</option>'
                       for i, l in enumerate(labels))
        return f'<div class="docs-w-row">{lab}<select disabled>{opts}</select></div>'
    if name in ('CheckboxModel', 'ToggleButtonModel'):
        chk = ' checked' if s.get('value') else ''
        return f'<div class="docs-w-row">{lab}<input type="checkbox" disabled{chk}></div>'
    if name in _TEXTS:
        return (f'<div class="docs-w-row">{lab}<input type="text" disabled '
                f'value="{html.escape(str(s.get("value", "")), quote=True)}"></div>')
    if name == 'ButtonModel':
        return f'<div class="docs-w-row"><button disabled>{html.escape(desc or "button")}</button></div>'
    if name == 'LabelModel':
        return f'<div class="docs-w-row">{lab}<span>{html.escape(str(s.get("value", "")))}</span></div>'
    if name in ('HTMLModel', 'HTMLMathModel'):
        return f'<div class="docs-w-row">{lab}<div>{s.get("value", "")}</div></div>'
    if name == 'PlayModel':
        return f'<div class="docs-w-row">{lab}<button disabled>▶</button><output>{_fmt(s.get("value"))}</output></div>'
    if '_widget_data' in s and '_widget_layout' in s:       # plotly FigureWidget
        plotly_flag.append(True)
        try: return plotly_json_to_html({'data': s['_widget_data'], 'layout': s['_widget_layout']})
        except Exception as e: return f'<div class="docs-w-row">[plotly FigureWidget: {html.escape(str(e))}]</div>'
    v = f' = {_fmt(s["value"])}' if 'value' in s and not isinstance(s['value'], (dict, list)) else ''
    return f'<div class="docs-w-row">{lab}<code>{html.escape(name.replace("Model", ""))}{v}</code></div>'


WIDGET_NOTE = ('Interactive widget: a static snapshot of its starting state. Static HTML cannot run Python; '
               'open this notebook in Jupyter to move the controls.')
WIDGET_MIME = 'application/vnd.jupyter.widget-view+json'
PLOTLY_MIME = 'application/vnd.plotly.v1+json'


def fix_outputs(outputs: list, wstate: dict, nbformat) -> tuple[list, bool]:
    "Widgets -> snapshot + their outputs; plotly -> local plotly.js. Returns (outputs, page needs plotly.js)."
    res, needs = [], False
    for o in outputs:
        data = o.get('data', {})
        if WIDGET_MIME in data:
            inner, flag = [], []
            body = widget_html(data[WIDGET_MIME].get('model_id', ''), wstate, inner, flag)
            needs |= bool(flag)
            snap = (f'<div class="docs-widget"><div class="docs-widget-note">{WIDGET_NOTE}</div>{body}</div>'
                    if body else '')
            if not body and not inner:
                snap = f'<div class="docs-widget"><div class="docs-widget-note">{WIDGET_NOTE}</div><pre>' \
                       f'{html.escape(str(data.get("text/plain", "")))}</pre></div>'
            if snap: res.append(nbformat.from_dict({'output_type': 'display_data', 'metadata': {},
                                                    'data': {'text/html': snap}}))
            sub, n2 = fix_outputs([nbformat.from_dict(x) for x in inner], wstate, nbformat)
            res += sub; needs |= n2
            continue
        if PLOTLY_MIME in data:
            try:
                o = copy.deepcopy(o); o['data'] = {'text/html': plotly_json_to_html(data[PLOTLY_MIME])}
                needs = True
            except Exception as e:
                log(f'      warning: could not render a plotly figure ({e}); using its other representations')
                o = copy.deepcopy(o); del o['data'][PLOTLY_MIME]
            data = o['data']
        if 'text/html' in data:
            h, n = offline_html(data['text/html'] if isinstance(data['text/html'], str) else ''.join(data['text/html']))
            needs |= n
            if not h.strip() and len(data) == 1: continue                    # a CDN loader and nothing else
            o = copy.deepcopy(o); o['data']['text/html'] = h
        if 'application/javascript' in data and 'plotly' in str(data['application/javascript']).lower():
            o = copy.deepcopy(o); del o['data']['application/javascript']; needs = True
        res.append(o)
    return res, needs


_re_src_link = re.compile(r'\[source\]\(([^)\s]+)\)\{[^}]*\}')


def fix_markdown(md: str) -> str:
    "show_doc's Quarto-only markup -> plain markdown/HTML."
    return _re_src_link.sub(lambda m: f'<a class="docs-source" href="{m.group(1)}" target="_blank">source</a>', md)


def prepare(nb, nbformat) -> tuple[object, bool]:
    "Apply cell directives (echo/output/include), tidy nbdev's extras, make outputs offline."
    wstate = (nb.metadata.get('widgets', {}).get('application/vnd.jupyter.widget-state+json', {}) or {}).get('state', {})
    cells, needs_plotly = [], False
    for c in nb.cells:
        if c.cell_type == 'raw': continue                                          # nbdev's YAML frontmatter
        if c.cell_type == 'markdown':
            if c.source.lstrip().startswith('<!-- WARNING: THIS FILE WAS AUTOGENERATED'): continue
            c.source = fix_markdown(c.source); cells.append(c); continue
        d, src = split_directives(c.source)
        if is_false(d.get('include', 'true')): continue
        c.source = src.strip('\n')
        tags = set(c.metadata.get('tags', []))
        if is_false(d.get('echo', 'true')) or not c.source.strip(): tags.add('docs-remove-input')
        if c.source.lstrip().startswith('show_doc('): tags.add('docs-showdoc')     # boxed API docs (CSS below)
        if is_false(d.get('output', 'true')): c.outputs = []
        c.outputs, n = fix_outputs(c.get('outputs', []), wstate, nbformat)
        needs_plotly |= n
        for o in c.outputs:
            md = o.get('data', {}).get('text/markdown')
            if md is not None: o['data']['text/markdown'] = fix_markdown(md if isinstance(md, str) else ''.join(md))
        if not c.source.strip() and not c.outputs: continue
        c.metadata['tags'] = sorted(tags)
        cells.append(c)
    nb.cells = cells
    nb.metadata.pop('widgets', None)                   # else the template pulls the widget manager from a CDN
    return nb, needs_plotly


# ---------------------------------------------------------------------------------------------------------------------
# 4. HTML

TEMPLATE = r"""{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{% block jupyter_widgets %}{% endblock jupyter_widgets %}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block html_head_js_mathjax -%}
<script type="text/x-mathjax-config">
MathJax.Hub.Config({
  TeX: {extensions: ["AMSmath.js", "AMSsymbols.js", "noErrors.js", "noUndefined.js"],
        equationNumbers: {autoNumber: "AMS", useLabelIds: true}},
  tex2jax: {inlineMath: [['$', '$'], ['\\(', '\\)']], displayMath: [['$$', '$$'], ['\\[', '\\]']],
            processEscapes: true, processEnvironments: true},
  "HTML-CSS": {availableFonts: [], preferredFont: null, webFont: "STIX-Web", imageFont: null,
               linebreaks: {automatic: true}},
  displayAlign: "center", messageStyle: "none", showMathMenu: false
});
</script>
<script src="{{ resources.docs.static }}/mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe"></script>
{%- endblock html_head_js_mathjax -%}
{% block extra_css %}
<style type="text/css">{{ resources.docs.css }}</style>
{% if resources.docs.plotly %}
<script src="{{ resources.docs.static }}/plotly.min.js"></script>
<script>{{ resources.docs.require_shim }}</script>
{% endif %}
{% endblock extra_css %}
{%- block body_header -%}
<body class="jp-Notebook" data-jp-theme-light="true" data-jp-theme-name="JupyterLab Light">
<nav class="docs-nav">{{ resources.docs.nav }}</nav>
<main class="docs-main">
{{ resources.docs.header }}
{%- endblock body_header -%}
{% block body_footer %}
{{ resources.docs.footer }}
</main>
</body>
{% endblock body_footer %}
"""

# Old-style plotly outputs call require(["plotly"], ...): serve them the local Plotly (no require.js anywhere).
REQUIRE_SHIM = """if (typeof window.require === 'undefined') {
  window.require = window.requirejs = function (deps, cb) {
    if (typeof deps === 'string') return deps === 'plotly' ? window.Plotly : undefined;
    if (cb) cb.apply(null, deps.map(function (d) { return d === 'plotly' ? window.Plotly : undefined; }));
  };
  window.requirejs.config = function () {}; window.require.undef = function () {};
}"""

CSS = """
body.jp-Notebook { margin: 0; padding: 0; }
.docs-nav { position: fixed; top: 0; left: 0; bottom: 0; width: 250px; overflow-y: auto; padding: 18px 14px;
  box-sizing: border-box; background: #f6f7f9; border-right: 1px solid #e0e0e0; font-family: var(--jp-ui-font-family);
  font-size: 14px; }
.docs-nav .docs-project { font-weight: 700; font-size: 17px; margin-bottom: 4px; }
.docs-nav .docs-project a { color: #222; text-decoration: none; }
.docs-nav .docs-tagline { color: #666; font-size: 12px; margin-bottom: 14px; }
.docs-nav ol { list-style: none; padding: 0; margin: 0; }
.docs-nav li a { display: block; padding: 5px 8px; border-radius: 4px; color: #1a4f8b; text-decoration: none; }
.docs-nav li a:hover { background: #e8eef6; }
.docs-nav li.current a { background: #dbe6f3; font-weight: 600; color: #0b3a6e; }
.docs-main { margin-left: 250px; padding: 24px 40px 60px 40px; max-width: 1100px; }
.docs-title h1 { margin-bottom: 4px; }
.docs-title .docs-description { color: #555; font-size: 1.1em; margin-top: 0; }
.docs-footer { display: flex; justify-content: space-between; margin-top: 40px; padding-top: 12px;
  border-top: 1px solid #ddd; font-family: var(--jp-ui-font-family); }
.docs-footer a { color: #1a4f8b; text-decoration: none; }
a.docs-source { float: right; font-size: smaller; }
.celltag_docs-showdoc .jp-OutputArea-output { border: 1px solid #d8dee6; border-radius: 6px; padding: 2px 16px 8px;
  margin: 10px 0; background: #fbfcfd; box-shadow: 0 1px 2px rgba(0,0,0,.05); }
.celltag_docs-showdoc .jp-RenderedMarkdown hr { display: none; }
.celltag_docs-showdoc .jp-RenderedMarkdown h3, .celltag_docs-showdoc .jp-RenderedMarkdown h4 { margin-top: 0.5em; }
.celltag_docs-showdoc .jp-RenderedMarkdown pre { background: #f3f5f8; padding: 6px 10px; border-radius: 4px; }
.docs-widget { border: 1px dashed #b8c4d6; border-radius: 6px; padding: 8px 12px; margin: 6px 0; background: #fafcff;
  font-family: var(--jp-ui-font-family); font-size: 13px; }
.docs-widget-note { color: #667; font-style: italic; margin-bottom: 6px; }
.docs-w-box { display: flex; gap: 6px; }
.docs-w-row { display: flex; align-items: center; gap: 8px; }
.docs-w-row label { min-width: 90px; text-align: right; }
.docs-w-row input[type=range] { width: 220px; }
.docs-index dt { font-weight: 600; margin-top: 10px; }
.docs-index dd { margin-left: 0; color: #555; }
@media (max-width: 800px) { .docs-nav { position: static; width: auto; } .docs-main { margin-left: 0; } }
"""


def nav_html(pages: list[dict], current: str, project: dict) -> str:
    items = ''.join(f'<li class="{"current" if p["slug"] == current else ""}"><a href="{p["slug"]}">'
                    f'{html.escape(p["title"])}</a></li>' for p in pages)
    return (f'<div class="docs-project"><a href="index.html">{html.escape(project["title"])}</a></div>'
            f'<div class="docs-tagline">{html.escape(project["description"])}</div><ol>{items}</ol>')


def footer_html(pages: list[dict], current: str) -> str:
    slugs = [p['slug'] for p in pages]
    if current not in slugs: return ''
    i = slugs.index(current)
    prev = f'<a href="{pages[i-1]["slug"]}">← {html.escape(pages[i-1]["title"])}</a>' if i > 0 else '<span></span>'
    nxt = (f'<a href="{pages[i+1]["slug"]}">{html.escape(pages[i+1]["title"])} →</a>' if i + 1 < len(pages)
           else '<span></span>')
    return f'<div class="docs-footer">{prev}{nxt}</div>'


def header_html(fm: dict) -> str:
    t = f'<h1>{html.escape(str(fm.get("title", "")))}</h1>' if fm.get('title') else ''
    d = ''
    if fm.get('description'):
        from nbconvert.filters.markdown_mistune import markdown2html_mistune
        inner = re.sub(r'^\s*<p>|</p>\s*$', '', markdown2html_mistune(str(fm['description'])).strip())
        d = f'<p class="docs-description">{inner}</p>'
    return f'<div class="docs-title jp-RenderedHTMLCommon">{t}{d}</div>' if (t or d) else ''


def make_exporter():
    import jinja2
    from nbconvert import HTMLExporter
    from traitlets.config import Config
    c = Config()
    c.TagRemovePreprocessor.enabled = True
    c.TagRemovePreprocessor.remove_input_tags = {'docs-remove-input'}
    c.HTMLExporter.exclude_input_prompt = True
    c.HTMLExporter.exclude_output_prompt = True
    c.HTMLExporter.template_name = 'lab'
    c.HTMLExporter.template_file = 'docs.html.j2'
    return HTMLExporter(config=c, extra_loaders=[jinja2.DictLoader({'docs.html.j2': TEMPLATE})])


_re_heading_id = re.compile(r'<h([1-6]) id="([^"]+)"')


def finish_html(h: str, cfg, built_slugs: set) -> str:
    # nbdev links point at the public site: point those at pages of this site instead
    base = (str(cfg.get('doc_host', '')).rstrip('/') + '/' + str(cfg.get('doc_baseurl', '')).strip('/') + '/')
    base = base.replace('//', '/').replace(':/', '://') if base.startswith('http') else base
    if base.startswith('http'):
        def rel(m):
            page = m.group(2).split('#')[0]
            return f'{m.group(1)}"{m.group(2)}"' if page in built_slugs else m.group(0)
        h = re.sub(r'(href=)"' + re.escape(base) + r'([^"]*)"', rel, h)
    # links between notebooks (`[core](00_core.ipynb#warp)`) -> their pages, as Quarto does
    h = re.sub(r'href="(?![A-Za-z][\w+.-]*:|/|#)([^"#?]+?\.ipynb)(#[^"]*)?"',
               lambda m: f'href="{slug_of(Path(m.group(1)))}{m.group(2) or ""}"', h)
    # nbdev anchors are lower case (`core.html#warp`, `morphable.html#morphablemodel.vertices`)
    def anchor(m):
        i = m.group(2); low = i.lower()
        ident = re.fullmatch(r'[A-Za-z_][\w.]*', i)                  # API names only, e.g. MorphableModel.vertices
        return f'<a id="{low}"></a>{m.group(0)}' if ident and low != i else m.group(0)
    return _re_heading_id.sub(anchor, h)


def copy_static(out: Path):
    "plotly.js (from the plotly package) and MathJax 2 (from jupyter-server-mathjax) into out/_static."
    import plotly
    st = out / '_static'; st.mkdir(parents=True, exist_ok=True)
    src = Path(plotly.__file__).parent / 'package_data' / 'plotly.min.js'
    if not (st / 'plotly.min.js').exists() or (st / 'plotly.min.js').stat().st_size != src.stat().st_size:
        shutil.copyfile(src, st / 'plotly.min.js')
    try:
        import jupyter_server_mathjax
        mj = Path(jupyter_server_mathjax.__file__).parent / 'static'
    except ImportError:
        log('warning: jupyter-server-mathjax is not installed: math will show as TeX source '
            '(pip install jupyter-server-mathjax)')
        return
    dst = st / 'mathjax'
    if not (dst / 'MathJax.js').exists():
        def ignore(folder, names):                      # the accessibility add-ons and other languages: not needed
            rel = Path(folder).relative_to(mj).as_posix()
            return [n for n in names if n == 'a11y' or (rel == 'localization' and n != 'en')]
        shutil.copytree(mj, dst, ignore=ignore, dirs_exist_ok=True)


def index_page(pages: list[dict], project: dict) -> str:
    items = ''.join(f'<dt><a href="{p["slug"]}">{html.escape(p["title"])}</a></dt>'
                    f'<dd>{html.escape(p.get("description", ""))}</dd>' for p in pages)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{html.escape(project['title'])}</title><style>body {{ font-family: system-ui, sans-serif; }} {CSS}</style></head>
<body><nav class="docs-nav">{nav_html(pages, 'index.html', project)}</nav>
<main class="docs-main"><h1>{html.escape(project['title'])}</h1><p>{html.escape(project['description'])}</p>
<h2>Notebooks</h2><dl class="docs-index">{items}</dl></main></body></html>
"""


# ---------------------------------------------------------------------------------------------------------------------

def build(notebooks: list[Path], out: Path, execute_nbs: bool = True, slow: bool = False, timeout: int = 1800,
          allow_errors: bool = False, full: bool = True) -> int:
    "Build pages for `notebooks` into `out`; `full`: the whole site (old pages wiped), else an update of some pages."
    import nbformat
    cfg = nbdev_config()
    project = {'title': str(cfg.get('title', cfg.get('lib_name', 'docs'))), 'description': str(cfg.get('description', ''))}
    skip_flags = set() if slow else set(str(cfg.get('tst_flags', '')).replace(',', ' ').split())
    out = out.resolve()
    if out.exists() and any(out.iterdir()):
        if not (out / MARKER).exists(): raise SystemExit(f'build_docs: {out} is not empty and not a docs build: refusing')
        if full:
            for p in out.iterdir():                      # a full build starts clean (keeps the copied static files)
                if p.name not in ('_static', MARKER): shutil.rmtree(p) if p.is_dir() else p.unlink()
    out.mkdir(parents=True, exist_ok=True); (out / MARKER).write_text('built by scripts/build_docs.py\n')
    copy_static(out)

    # the sidebar: pages built now, plus (for a partial build) the pages an earlier build left there
    old = {}
    if not full and (out / MANIFEST).exists():
        old = {p['slug']: p for p in json.loads((out / MANIFEST).read_text()) if (out / p['slug']).exists()}
    nbs = [(p, slug_of(p)) for p in notebooks]
    pages = {**old}
    for p, s in nbs: pages[s] = {'slug': s, 'title': pages.get(s, {}).get('title', p.stem), 'src': p.name}
    exporter = make_exporter()
    failures, t_all = [], time.time()
    processed = []
    for k, (path, slug) in enumerate(nbs, 1):
        t0 = time.time()
        nb = nbformat.read(path, as_version=4)
        if execute_nbs:
            log(f'[{k}/{len(nbs)}] {path.name}: executing ...')
            try:
                secs, errs = execute(nb, path, skip_flags, timeout)
                log(f'      executed in {secs:.0f} s' + (f'; ERRORS in cells {errs}' if errs else ''))
                if errs: failures.append(f'{path.name}: error outputs in cells {errs}')
            except Exception as e:                   # a cell past --timeout, a dead kernel: keep what ran so far
                failures.append(f'{path.name}: execution stopped: {type(e).__name__}: {str(e)[:300]}')
                log(f'      execution STOPPED ({type(e).__name__}); the page shows the outputs made so far')
        else:
            log(f'[{k}/{len(nbs)}] {path.name}: using stored outputs')
        try: nb, fm = nbdev_process(nb, path)
        except Exception as e:
            failures.append(f'{path.name}: nbdev doc processing failed: {e}')
            log(f'      nbdev doc processing FAILED: {e}')
            if not (out / slug).exists(): pages.pop(slug, None)
            continue
        nb, needs_plotly = prepare(nb, nbformat)
        pages[slug].update(title=str(fm.get('title') or path.stem), description=str(fm.get('description', '')))
        processed.append((path, slug, nb, fm, needs_plotly, time.time() - t0))

    order = sorted(pages.values(), key=lambda p: p['src'])
    home = [p for p in order if p['slug'] == 'index.html']
    order = home + [p for p in order if p['slug'] != 'index.html']
    built = {p['slug'] for p in order}
    for path, slug, nb, fm, needs_plotly, secs in processed:
        t0 = time.time() - secs
        resources = {'metadata': {'name': fm.get('title') or path.stem, 'path': str(path.parent)},
                     'docs': {'static': '_static', 'css': CSS, 'plotly': needs_plotly, 'require_shim': REQUIRE_SHIM,
                              'nav': nav_html(order, slug, project), 'header': header_html(fm),
                              'footer': footer_html(order, slug)}}
        body, res = exporter.from_notebook_node(nb, resources=resources)
        body = finish_html(body, cfg, built)
        (out / slug).write_text(body, encoding='utf-8')
        for name, data in (res.get('outputs') or {}).items():     # (the lab template inlines images; just in case)
            (out / name).write_bytes(data)
        cdn = [h for h in CDN_HOSTS if h in body]
        if cdn: log(f'      warning: {slug} still names {cdn}')
        log(f'      -> {out / slug}  ({len(body) / 1e6:.1f} MB{", plotly" if needs_plotly else ""}, '
            f'{time.time() - t0:.0f} s)')
    if not home: (out / 'index.html').write_text(index_page(order, project), encoding='utf-8')
    (out / MANIFEST).write_text(json.dumps(order, indent=1))
    log(f'docs: {len(processed)} page(s) in {time.time() - t_all:.0f} s -> open {out / "index.html"}')
    if failures:
        log('problems:\n  ' + '\n  '.join(failures))
        return 0 if allow_errors else 1
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split('\n\n', 1)[1])
    ap.add_argument('notebooks', nargs='*', help='notebooks or folders (default: every notebook in nbs/, full rebuild)')
    ap.add_argument('--out', help='output folder (default: settings.ini doc_path, i.e. _docs/)')
    ap.add_argument('--no-exec', action='store_true', help="don't execute: use the outputs stored in the notebooks")
    ap.add_argument('--slow', action='store_true', help='also execute cells flagged #| slow (skipped by default)')
    ap.add_argument('--timeout', type=int, default=1800, help='seconds one cell may run (default 1800)')
    ap.add_argument('--allow-errors', action='store_true', help='exit 0 even when a notebook cell raised')
    a = ap.parse_args(argv)
    cfg = nbdev_config()
    nbs = find_notebooks(a.notebooks, REPO / str(cfg.get('nbs_path', 'nbs')))
    if not nbs: raise SystemExit('build_docs: no notebooks found')
    out = Path(a.out) if a.out else REPO / str(cfg.get('doc_path', '_docs'))
    return build(nbs, out, execute_nbs=not a.no_exec, slow=a.slow, timeout=a.timeout, allow_errors=a.allow_errors,
                 full=not a.notebooks)


if __name__ == '__main__':
    sys.exit(main())
