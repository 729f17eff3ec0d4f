"""The reconstruction-loss experiment of scripts/compare_reconstruction.py, on the stand-in (two candidates, a few steps,
toy data); the real comparison's results are committed in data_samples/reconstruction_comparison.json (nbs/10_train)."""
import json, runpy
from pathlib import Path

SCRIPT = runpy.run_path(str(Path(__file__).resolve().parents[1] / 'scripts' / 'compare_reconstruction.py'))


def test_one_run_per_candidate(tmp_path):
    r = SCRIPT['compare_reconstruction_losses'](('l1', 'l1-ssim'), steps=3, data='toy', run_root=tmp_path, device='cpu',
                                                progress=False, name='toy', generator='toy', size=32, coefficient=False,
                                                workers=0, eval_size=8)
    assert sorted(r) == ['l1', 'l1-ssim'] and r['l1']['steps'] == 3
    assert json.loads((tmp_path / 'l1-ssim' / 'metrics.jsonl').read_text().splitlines()[0])['reconstruction'].startswith('L1 + SSIM')
    assert json.loads((tmp_path / 'l1' / 'metrics.jsonl').read_text().splitlines()[0])['reconstruction'].startswith('L1')
    fig = SCRIPT['comparison_figure'](r, 'toy')
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ['l1', 'l1-ssim']
