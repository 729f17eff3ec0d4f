"""meshreenact.prepare across processes (05c_prepare tests the rest in one process): spawned workers write the bytes one
process writes; a run killed with SIGKILL in the middle of writing a clip leaves no partial clip, and the next run
removes its temporary, skips the finished clip and prepares only the rest; a worker process that dies is recovered from;
and `train --data OUT` trains on a prepared folder without detecting, cropping, fitting or regressing anything."""
import json, logging, multiprocessing, os, signal, subprocess, sys, threading, time
from pathlib import Path

import numpy as np
import pytest
import torch

pytest.importorskip('dlib')
from meshreenact import prepare
from meshreenact.core import TEMP_SUFFIX
from meshreenact.prepare import prepare_clips, verify_clip, PreparedPairs, FRAMES_FILE, COEFFS_FILE, CLIP_FILE, MANIFEST_FILE
from meshreenact.assets import sample_media

REPO = Path(__file__).resolve().parents[1]
KEYS = ['id1/a/00001', 'id2/b/00001']


@pytest.fixture(scope='module')
def videos(tmp_path_factory):
    "VoxCeleb-shaped: the two sample clips, linked."
    m = sample_media(verbose=False)
    root = tmp_path_factory.mktemp('videos')
    for key, name in zip(KEYS, ('WolfgangLanger_Pexels.mp4', 'single_face.mp4')):
        p = root / f'{key}.mp4'; p.parent.mkdir(parents=True); p.symlink_to(m[name])
    return root


def _child(code: str) -> subprocess.Popen:
    "A fresh Python running `code`, in its own process group (so that it and its workers can be killed together)."
    env = {**os.environ, 'PYTHONPATH': str(REPO), 'OMP_NUM_THREADS': '1'}
    return subprocess.Popen([sys.executable, '-c', code], env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _wait_for(cond, proc=None, timeout=300):
    t = time.time() + timeout
    while time.time() < t:
        if cond(): return True
        if proc is not None and proc.poll() is not None: return False
        time.sleep(0.05)
    return False


def _group_alive(pgid: int) -> bool:
    try: os.killpg(pgid, 0)
    except ProcessLookupError: return False
    return True


def _state(out: Path) -> tuple[list, list]:
    "(clip folders, temporaries and anything else) of OUT/clips; every clip folder must pass verify_clip."
    entries = sorted((out / 'clips').iterdir())
    done = [p for p in entries if not p.name.startswith('.')]       # a clip's folder; '.NAME.PID.RANDOM.partial': a temporary
    for p in done: verify_clip(p)
    return done, [p for p in entries if p not in done]


def test_workers_write_what_one_process_writes(videos, tmp_path):
    kw = dict(size=64, frames=8, step=1, progress=False)
    one = prepare_clips(videos, tmp_path / 'one', workers=0, **kw)
    two = prepare_clips(videos, tmp_path / 'two', workers=2, **kw)
    assert one['done'] == two['done'] == KEYS and two['failed'] == {}
    for k in KEYS:
        a, b = (tmp_path / d / 'clips' / k.replace('/', '__') for d in ('one', 'two'))
        assert (a / FRAMES_FILE).read_bytes() == (b / FRAMES_FILE).read_bytes()
        za, zb = np.load(a / COEFFS_FILE), np.load(b / COEFFS_FILE)
        for f in ('coeffs', 'fitted', 'indices', 'landmarks'): np.testing.assert_allclose(za[f], zb[f], atol=1e-6, err_msg=f)
    m = json.loads((tmp_path / 'two' / MANIFEST_FILE).read_text())
    assert [c['key'] for c in m['clips']] == KEYS and [c['frames'] for c in m['clips']] == [8, 8]


def test_sigkill_while_writing_leaves_no_partial_clip(videos, tmp_path):
    "The child (one process) is SIGKILLed while it writes the 5th frame of the second clip: a deterministic kill mid-write."
    out, marker = tmp_path / 'out', tmp_path / 'writing'
    code = f"""
import time
from pathlib import Path
import meshreenact.prepare as P
real, n = P.tensor_to_image, [0]
def slow(x):
    n[0] += 1
    if n[0] == 8 + 5: Path({str(marker)!r}).touch(); time.sleep(600)
    return real(x)
P.tensor_to_image = slow
P.prepare_clips({str(videos)!r}, {str(out)!r}, size=64, frames=8, step=1, workers=0, progress=False)
"""
    proc = _child(code)
    try: assert _wait_for(marker.exists, proc), f"the child never reached the 2nd clip: {proc.stderr.read().decode()[-2000:]}"
    finally: os.killpg(proc.pid, signal.SIGKILL); proc.wait()
    assert proc.returncode == -signal.SIGKILL
    done, other = _state(out)
    assert [p.name for p in done] == ['id1__a__00001']
    assert len(other) == 1 and other[0].name.startswith('.id2__b__00001.') and other[0].name.endswith(TEMP_SUFFIX)
    assert not (out / MANIFEST_FILE).exists()                       # the run never finished
    calls = []
    real = prepare.prepare_clip
    def counted(*a, **k): calls.append(a[1]); return real(*a, **k)
    prepare.prepare_clip, again = counted, None
    try: again = prepare_clips(videos, out, size=64, frames=8, step=1, workers=0, progress=False)
    finally: prepare.prepare_clip = real
    assert (again['done'], again['skipped'], again['failed']) == (['id2/b/00001'], ['id1/a/00001'], {})
    assert [Path(c).name for c in calls] == ['00001.mp4'] and 'id2' in str(calls[0])   # only the unfinished clip was worked on
    done, other = _state(out)
    assert [p.name for p in done] == ['id1__a__00001', 'id2__b__00001'] and other == []   # the temporary is gone


def test_sigkill_of_a_run_with_workers(videos, tmp_path):
    "The whole process group (the run and its spawned workers) is killed once the first clip is finished."
    out = tmp_path / 'out'
    proc = _child(f"from meshreenact.prepare import prepare_clips; prepare_clips({str(videos)!r}, {str(out)!r}, size=64, frames=12, step=1, workers=2, progress=False)")
    first = lambda: (out / 'clips').is_dir() and any(not p.name.startswith('.') for p in (out / 'clips').iterdir())
    try: assert _wait_for(first, proc), proc.stderr.read().decode()[-2000:]
    finally: os.killpg(proc.pid, signal.SIGKILL); proc.wait()
    assert _wait_for(lambda: not _group_alive(proc.pid), timeout=60)  # the workers too (reaped by init: until then they count as alive)
    done, other = _state(out)                                       # whole clips, and at most temporaries
    assert all(p.name.startswith('.') and p.name.endswith(TEMP_SUFFIX) for p in other), other
    s = prepare_clips(videos, out, size=64, frames=12, step=1, workers=0, progress=False)
    assert sorted(s['skipped']) == sorted(json.loads((p / CLIP_FILE).read_text())['key'] for p in done)
    assert sorted(s['done'] + s['skipped']) == KEYS and s['failed'] == {}
    assert _state(out)[1] == []


def test_a_worker_that_dies_is_recovered_from(videos, tmp_path, caplog):
    "A worker process SIGKILLed mid-run (as the kernel's OOM killer would): its clips are run again, one by one, and succeed."
    out, result = tmp_path / 'out', {}
    run = threading.Thread(target=lambda: result.update(prepare_clips(videos, out, size=64, frames=24, step=1, workers=1, progress=False)))
    with caplog.at_level(logging.WARNING, logger='meshreenact.prepare'):
        run.start()
        assert _wait_for(lambda: len(multiprocessing.active_children()) > 0, timeout=60)
        time.sleep(2)
        victims = multiprocessing.active_children()
        for p in victims: os.kill(p.pid, signal.SIGKILL)           # the workers this test's run started
        run.join(600)
    assert victims and not run.is_alive()
    assert 'a worker process died' in caplog.text
    assert result['done'] == KEYS and result['failed'] == {}
    assert [p.name for p in _state(out)[0]] == ['id1__a__00001', 'id2__b__00001'] and _state(out)[1] == []


def test_train_reads_a_prepared_folder_without_fitting(videos, tmp_path, monkeypatch):
    from meshreenact import train, video, fit
    out = tmp_path / 'prepared'
    prepare_clips(videos, out, size=64, frames=8, step=1, workers=0, progress=False)
    def refuse(*a, **k): raise AssertionError('train detected, cropped, fitted or regressed at start-up')
    for mod, names in ((video, ('detect_faces', 'crop_clip', 'iter_clip')), (fit, ('fit_landmarks', 'fit_clip')),
                       (prepare, ('detect_faces', 'iter_clip', 'fit_landmarks', 'prepare_clip')), (train, ('FramePairs',))):
        for n in names: monkeypatch.setattr(mod, n, refuse)
    class NoRegressor(torch.nn.Module):                             # the coefficients come from the folder, never from the CNN
        def forward(self, x): refuse()
    monkeypatch.setattr(train, 'load_regressor', lambda **k: NoRegressor())
    cfg = train.TrainConfig.tiny(steps=2, warmup=2, batch_size=2, workers=0, eval_size=2, items_per_clip=2, log_every=1,
                                 sample_every=100, eval_every=100, checkpoint_every=100, reconstruction='l1-ssim')
    ds, held = train.make_datasets(cfg, str(out))
    assert isinstance(ds, PreparedPairs) and held is ds and len(ds) == 4 and ds.clips == KEYS
    res = train.train(cfg, str(out), tmp_path / 'run', device='cpu', progress=False)
    assert res.step == 2 and res.checkpoint.exists()
    log = [json.loads(l) for l in (tmp_path / 'run' / 'metrics.jsonl').read_text().splitlines()]
    assert log[0]['train_items'] == 4 and [r['step'] for r in log if r['kind'] == 'train'] == [1, 2]
    assert np.isfinite(res.metrics['self_psnr'])
    from meshreenact.cli import main                                # the same through the command line, its tiny preset as it is
    assert main(['train', '--config', 'tiny', '--data', str(out), '--steps', '1', '--workers', '0', '--items-per-clip', '4',
                 '--run-dir', str(tmp_path / 'cli-run'), '--no-progress']) == 0
    assert (tmp_path / 'cli-run' / 'checkpoint.pt').exists()
