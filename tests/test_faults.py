"""Fault injection (issue 14): each test provokes one way a user's work or a cache can be damaged and checks that the
damage is named, repaired or refused before any work, and that nothing good is lost. Real files, the real BFM and the
real dlib detector; mocks only where a real part cannot provoke the failure (a broken triangulation, a decoder that
must not be reached). Each test fails on the code before the fix."""
import hashlib, logging, os, shutil, warnings
from pathlib import Path

import numpy as np
import pytest
import torch

from meshreenact import assets, cli, morphable, topology, video
from meshreenact.cli import main
from meshreenact.video import crop_clip
from meshreenact.assets import sample_media


@pytest.fixture(scope='module')
def media():
    return sample_media(verbose=False)


@pytest.fixture
def bfm_cache(tmp_path, monkeypatch):
    "A private cache holding links to the real BFM arrays (and the shared cache's derived topology, when there)."
    real = assets.bfm_dir()
    assets.fetch_bfm(verbose=False)
    (tmp_path / 'bfm').mkdir()
    for p in real.iterdir():
        if p.suffix in ('.npy', '.pkl') and not p.name.startswith('triangles'): os.symlink(p, tmp_path / 'bfm' / p.name)
    monkeypatch.setenv('MESHREENACT_CACHE', str(tmp_path))
    return tmp_path / 'bfm'


# --- crop cache -------------------------------------------------------------------------------------------------

def _clip(media, cache):
    return crop_clip(media['single_face.mp4'], size=64, step=10, max_frames=4, cache=cache)


def test_crop_cache_damaged_meta_is_named_and_rebuilt(media, tmp_path, caplog):
    c = _clip(media, tmp_path)
    first = [c.image(i) for i in range(len(c))]
    (c.folder / 'meta.json').write_text('{"name": "single_face", "frames": [\x01')        # a torn write
    with caplog.at_level(logging.WARNING, logger='meshreenact.video'):
        c2 = _clip(media, tmp_path)
    assert str(c.folder / 'meta.json') in caplog.text and 'rebuilding' in caplog.text
    assert all((c2.image(i) == x).all() for i, x in enumerate(first))


def test_crop_cache_truncated_frame_is_named_and_rebuilt(media, tmp_path, caplog):
    c = _clip(media, tmp_path)
    good = c.image(1)
    data = c.frames[1].read_bytes(); c.frames[1].write_bytes(data[: len(data) // 2])       # a cut-off PNG
    with caplog.at_level(logging.WARNING, logger='meshreenact.video'):
        c2 = _clip(media, tmp_path)
    assert str(c.frames[1]) in caplog.text and 'damaged' in caplog.text
    assert (c2.image(1) == good).all()


# --- the derived topology ---------------------------------------------------------------------------------------

def test_topology_cache_with_wrong_triangles_is_named_and_derived_again(bfm_cache):
    good = morphable.load_bfm(verbose=False).triangles.numpy()                             # derived into the private cache
    arrays = morphable.read_bfm_arrays(bfm_cache)
    path = next(bfm_cache.glob('triangles-*'))
    rnd = np.random.default_rng(0).integers(0, len(arrays['mean']), good.shape)            # in range, right shape
    if path.suffix == '.npz':   # keep the stored checksum of the good triangles: the data itself is what changed
        np.savez(path, triangles=rnd, sha256=str(np.load(path)['sha256']))
    else: np.save(path, rnd)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter('always')
        tri = morphable.load_bfm(verbose=False).triangles.numpy()
    assert np.array_equal(tri, good)
    assert topology.mesh_report(tri, len(arrays['mean']))['nonmanifold_vertices'] == 0
    assert any(str(path) in str(x.message) for x in w), [str(x.message) for x in w]


def test_bfm_command_fails_on_a_broken_mesh(monkeypatch, capsys):
    real = topology.bfm_triangles
    def broken(mean, verbose=True):                    # a triangulation bug real data cannot provoke
        tri = real(mean, verbose)
        return np.random.default_rng(0).integers(0, len(mean), tri.shape)
    monkeypatch.setattr(morphable, 'bfm_triangles', broken)   # where load_bfm looks it up
    assert main(['bfm']) == 1
    err = capsys.readouterr().err
    assert 'not one clean disc' in err and 'nonmanifold' in err and len(err.strip().splitlines()) == 1


def test_bfm_checksum_failure_names_the_file(tmp_path, monkeypatch):
    real = assets.bfm_dir()
    assets.fetch_bfm(verbose=False)
    shutil.copytree(real, tmp_path / 'bfm', ignore=shutil.ignore_patterns('triangles*'))
    bad = tmp_path / 'bfm' / 'u_exp.npy'
    data = bytearray(bad.read_bytes()); data[500] ^= 0xFF; bad.write_bytes(bytes(data))   # one flipped byte
    monkeypatch.setenv('MESHREENACT_CACHE', str(tmp_path))
    (tmp_path / 'nothing').mkdir()
    monkeypatch.setenv('PIP_NO_INDEX', '1'); monkeypatch.setenv('PIP_FIND_LINKS', str(tmp_path / 'nothing'))   # offline
    with pytest.raises(assets.AssetError) as e: assets.fetch_bfm(verbose=False)
    assert f'{bad} (checksum' in str(e.value)


# --- images and the command line ---------------------------------------------------------------------------------

def test_huge_image_is_refused_from_its_header(tmp_path, monkeypatch):
    from PIL import Image
    import imageio.v3 as iio
    from meshreenact.fit import fit_photo
    path = tmp_path / 'wide.png'
    Image.new('L', (13_000, 40)).save(path)
    def no_decoding(*a, **k): raise AssertionError('the whole image was decoded')
    monkeypatch.setattr(iio, 'imread', no_decoding)
    with pytest.raises(ValueError, match=r'13000x40 px, larger than 12000'): fit_photo(None, path)


def test_demo_refuses_too_few_pairs_before_any_work(monkeypatch, capsys, tmp_path):
    def no_work(*a, **k): raise AssertionError('the demo started working')
    for where in (morphable, cli): monkeypatch.setattr(where, 'load_bfm', no_work)   # cli imports it at the top
    assert main(['demo', '--pairs', '4', '--out', str(tmp_path)]) == 1
    assert '--pairs' in capsys.readouterr().err and not any(tmp_path.iterdir())


# --- training: nothing good is lost -------------------------------------------------------------------------------

from dataclasses import replace
from meshreenact.train import TrainConfig, train, TrainingDiverged

TOY = TrainConfig.toy(steps=6, batch_size=4, checkpoint_every=2, eval_every=100, sample_every=100, eval_size=4)
CK = 'checkpoint.pt'


def _finite_checkpoint(path):
    ck = torch.load(path, weights_only=True)
    return ck['step'], all(torch.isfinite(v).all() for v in ck['model'].values() if v.is_floating_point())


def _poisonable(state):
    "A generator whose gradients become NaN while state['armed'] (a hook, as the fault-injection pass did; the loss stays finite)."
    from meshreenact.train import make_generator
    G = make_generator(TOY)
    for p in G.parameters(): p.register_hook(lambda g: g * float('nan') if state.get('armed') else g)
    return G


def test_a_step_with_nan_gradients_is_skipped_and_counted(tmp_path):
    "NaN gradients in the step right before a checkpoint: the step is skipped, the checkpoint holds the weights before it."
    state = {}
    G = _poisonable(state)
    def arm(step, logs):
        state['armed'] = step == 3                                                # only the backward pass of step 4
        if step == 3: state['before'] = {k: v.clone() for k, v in G.state_dict().items()}
    res = train(replace(TOY, log_every=1), 'toy', tmp_path, 'cpu', generator=G, progress=False, callback=arm)
    assert res.step == 6 and res.skipped == 1
    assert _finite_checkpoint(tmp_path / CK) == (6, True)
    import json
    lines = [json.loads(l) for l in (tmp_path / 'metrics.jsonl').read_text().splitlines() if '"train"' in l]
    assert [l['step'] for l in lines if l['g_skipped']] == [4]                    # counted in the metrics log


def test_nan_gradients_in_a_row_stop_the_run_and_keep_the_good_checkpoint(tmp_path):
    state = {}
    G = _poisonable(state)
    def arm(step, logs):
        if step == 2: state['armed'] = True; state['good'] = {k: v.clone() for k, v in G.state_dict().items()}
    with pytest.raises(TrainingDiverged, match='5 steps in a row with non-finite gradients') as e:
        train(replace(TOY, steps=20), 'toy', tmp_path, 'cpu', generator=G, progress=False, callback=arm)
    assert 'last good checkpoint' in str(e.value)
    step, finite = _finite_checkpoint(tmp_path / CK)
    assert finite and 2 <= step < 2 + 5
    saved = torch.load(tmp_path / CK, weights_only=True)['model']
    assert all(torch.equal(saved[k], v) for k, v in state['good'].items())       # no step was taken with NaN gradients


def test_nan_parameters_are_never_checkpointed(tmp_path):
    state = {}
    from meshreenact.train import make_generator
    state['G'] = make_generator(TOY)
    def spoil(step, logs):
        if step == 4: next(state['G'].parameters()).data.fill_(float('nan'))   # right before the checkpoint of step 4
    with pytest.raises(TrainingDiverged, match='not finite'):
        train(TOY, 'toy', tmp_path, 'cpu', generator=state['G'], progress=False, callback=spoil)
    assert _finite_checkpoint(tmp_path / CK) == (2, True)


def test_huge_learning_rate_ends_in_the_diverged_message(tmp_path):
    with pytest.raises(TrainingDiverged, match='lower the learning rate'):
        train(replace(TrainConfig.tiny(lr=1e6), steps=6, warmup=6, eval_every=100, sample_every=100, checkpoint_every=100,
                      eval_size=4, batch_size=4, workers=0, train_items=16), 'synthetic', tmp_path, 'cpu', progress=False)


SLOW_TRAINER = """
import sys, time
from meshreenact.train import TrainConfig, train
cfg = TrainConfig.toy(steps=100000, batch_size=4, checkpoint_every=2, eval_every=10**6, sample_every=10**6, eval_size=4)
def cb(step, logs):
    if step == 1: print('RUNNING', flush=True)
    time.sleep(0.05)
train(cfg, 'toy', sys.argv[1], 'cpu', progress=False, callback=cb)
"""


def _start_trainer(run_dir):
    import subprocess, sys
    env = {k: v for k, v in os.environ.items() if k != 'IN_TEST'}
    p = subprocess.Popen([sys.executable, '-c', SLOW_TRAINER, str(run_dir)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, env=env)
    assert p.stdout.readline().strip() == 'RUNNING', p.stderr.read()[-3000:]
    return p


def test_two_trainers_in_one_run_folder(tmp_path, caplog):
    a = _start_trainer(tmp_path)
    try:
        with pytest.raises(Exception, match=rf'pid {a.pid}\b') as e:                     # B: refused, naming A
            train(replace(TOY, steps=4), 'toy', tmp_path, 'cpu', resume=False, progress=False)
        assert 'in use' in str(e.value)
        assert a.poll() is None                                                            # A still runs
    finally:
        a.kill(); a.wait()                                                                 # kill -9: its lock is stale now
    with caplog.at_level(logging.WARNING):
        res = train(replace(TOY, steps=2), 'toy', tmp_path / 'other', 'cpu', progress=False)  # another folder: no message
    assert 'taking over' not in caplog.text
    with caplog.at_level(logging.WARNING):
        res = train(replace(TOY, steps=2), 'toy', tmp_path, 'cpu', resume=False, progress=False)
    assert f'pid {a.pid}' in caplog.text and 'taking over' in caplog.text and res.step == 2


def test_torn_last_metrics_line_is_dropped_on_resume(tmp_path, caplog):
    train(replace(TOY, steps=2, log_every=1), 'toy', tmp_path, 'cpu', progress=False)
    log = tmp_path / 'metrics.jsonl'
    with open(log, 'a') as f: f.write('{"step": 3, "kind": "train", "g_re')                  # killed mid-append
    with caplog.at_level(logging.WARNING):
        res = train(replace(TOY, steps=4, log_every=1), 'toy', tmp_path, 'cpu', progress=False)
    assert res.step == 4 and str(log) in caplog.text and 'torn' in caplog.text
    import json
    steps = [json.loads(l)['step'] for l in log.read_text().splitlines()]
    assert steps == sorted(steps) and steps.count(3) == 1


def test_damaged_metrics_line_names_the_file(tmp_path):
    train(replace(TOY, steps=2, log_every=1), 'toy', tmp_path, 'cpu', progress=False)
    log = tmp_path / 'metrics.jsonl'
    lines = log.read_text().splitlines(); lines[1] = lines[1][:10]; log.write_text('\n'.join(lines) + '\n')
    with pytest.raises(ValueError, match=rf'{log}: line 2'):
        train(replace(TOY, steps=4), 'toy', tmp_path, 'cpu', progress=False)


KILLED_WRITER = """
import os, signal, sys, torch
from meshreenact.train import TrainConfig, train
save, n = torch.save, [0]
def killed_mid_write(obj, f, *a, **k):
    if isinstance(obj, dict) and 'format' in obj:
        n[0] += 1
        if n[0] == 2:                                    # the second checkpoint: half of it written, then kill -9
            import io; buf = io.BytesIO(); save(obj, buf, *a, **k); data = buf.getvalue()
            if hasattr(f, 'write'): f.write(data[: len(data) // 2]); f.flush()
            else: open(f, 'wb').write(data[: len(data) // 2])
            os.kill(os.getpid(), signal.SIGKILL)
    return save(obj, f, *a, **k)
torch.save = killed_mid_write
cfg = TrainConfig.toy(steps=6, batch_size=4, checkpoint_every=2, eval_every=100, sample_every=100, eval_size=4)
train(cfg, 'toy', sys.argv[1], 'cpu', progress=False)
"""


def test_kill_9_mid_checkpoint_keeps_the_last_one_and_the_next_run_cleans_up(tmp_path):
    import subprocess, sys
    env = {k: v for k, v in os.environ.items() if k != 'IN_TEST'}
    r = subprocess.run([sys.executable, '-c', KILLED_WRITER, str(tmp_path)], capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == -9, r.stderr[-3000:]
    left = [p for p in tmp_path.iterdir() if CK in p.name and p.name != CK]
    assert left, 'the killed write left no temporary (the test did not provoke it)'
    assert _finite_checkpoint(tmp_path / CK) == (2, True)                                # the last whole checkpoint
    res = train(TOY, 'toy', tmp_path, 'cpu', progress=False)                             # resumes from it
    assert res.step == 6 and [p for p in tmp_path.iterdir() if CK in p.name and p.name != CK] == []


def test_checkpoint_messages(tmp_path, capsys):
    from meshreenact.train import load_checkpoint
    (tmp_path / 'zeros.pt').write_bytes(bytes(4096))
    with pytest.raises(ValueError) as e: load_checkpoint(tmp_path / 'zeros.pt')
    assert 'run their code' not in str(e.value) and 'not a checkpoint' in str(e.value)
    train(replace(TOY, steps=2), 'toy', tmp_path / 'r', 'cpu', progress=False)
    ck = tmp_path / 'r' / CK
    with pytest.raises(ValueError) as e: train(TrainConfig.tiny(), 'toy', tmp_path / 'r', 'cpu', progress=False)
    msg = str(e.value)
    assert 'another configuration' in msg and 'generator' in msg and len(msg) < 700, (len(msg), msg)
    data = ck.read_bytes(); ck.write_bytes(data[: len(data) // 2])
    assert main(['train', '--config', 'toy', '--data', 'toy', '--run-dir', str(tmp_path / 'r'), '--device', 'cpu', '--no-progress']) != 0
    err = capsys.readouterr().err
    assert '--no-resume' in err and 'resume=False' not in err and len(err.strip().splitlines()) == 1


def test_toy_config_refuses_other_data_before_any_work(media, tmp_path, capsys, monkeypatch):
    clips = tmp_path / 'clips'; clips.mkdir(); os.symlink(media['single_face.mp4'], clips / 'a.mp4')
    def no_cropping(*a, **k): raise AssertionError('cropping started')
    monkeypatch.setattr(video, 'crop_clip', no_cropping)
    rc = main(['train', '--config', 'toy', '--data', str(clips), '--run-dir', str(tmp_path / 'r'), '--no-progress'])
    assert rc != 0 and "'toy'" in capsys.readouterr().err and not (tmp_path / 'r').exists()


def test_items_per_clip_from_the_command_line(media, tmp_path, monkeypatch):
    "Two clips and a batch of 8: only with more than one pair per clip per epoch (the command line sets it)."
    from meshreenact.train import make_datasets, epoch_batches
    from meshreenact.cli import build_parser
    clips = tmp_path / 'clips'; clips.mkdir()
    for n in 'ab': os.symlink(media['single_face.mp4'], clips / f'{n}.mp4')
    args = build_parser().parse_args(['train', '--config', 'tiny', '--data', str(clips), '--items-per-clip', '6'])
    assert args.items_per_clip == 6
    monkeypatch.setenv('MESHREENACT_CACHE', str(tmp_path / 'cache'))
    train_ds, _ = make_datasets(TrainConfig.tiny(items_per_clip=args.items_per_clip), clips)
    assert len(train_ds) == 12 and len(train_ds.clips) == 2 and len(epoch_batches(len(train_ds), 8, 0, 0)) == 1
    with pytest.raises(ValueError, match='--items-per-clip'):                      # one pair per clip: a clear way out
        train(TrainConfig.tiny(steps=1), clips, tmp_path / 'r', 'cpu', progress=False)
