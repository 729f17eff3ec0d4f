"""Training's failure paths through the public entry points (`train`, `cmd_train`), on the stand-in generator and
toy data; the notebook nbs/10_train.ipynb covers the normal path, exact resume, NaN and Ctrl-C."""
import argparse, json, os, signal
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from meshreenact.train import TrainConfig, train, TrainingDiverged, ToyGenerator
from meshreenact.checkpoint import load_checkpoint, save_checkpoint, CHECKPOINT_FILE, CHECKPOINT_FORMAT
from meshreenact.cli import cmd_train, add_train_arguments

CFG = TrainConfig.toy(steps=2, batch_size=4, checkpoint_every=1, eval_every=100, sample_every=100, eval_size=4)


def test_corrupt_checkpoint_in_run_dir_is_a_clear_error(tmp_path):
    train(CFG, 'toy', tmp_path, 'cpu', progress=False)
    ck = tmp_path / CHECKPOINT_FILE
    ck.write_bytes(ck.read_bytes()[: len(ck.read_bytes()) // 2])            # a half-written file from elsewhere
    with pytest.raises(ValueError, match='corrupt'): train(replace(CFG, steps=4), 'toy', tmp_path, 'cpu', progress=False)
    res = train(replace(CFG, steps=1), 'toy', tmp_path, 'cpu', resume=False, progress=False)   # the way out
    assert res.step == 1 and load_checkpoint(ck)['step'] == 1


def test_checkpoint_with_pickled_object_is_refused_by_train(tmp_path):
    class Payload:
        def __reduce__(self): return (os.mkdir, (str(tmp_path / 'pwned'),))
    torch.save({'format': CHECKPOINT_FORMAT, 'step': 1, 'config': CFG.to_dict(), 'x': Payload()}, tmp_path / 'evil.pt')
    with pytest.raises(ValueError, match='refused'):
        train(CFG, 'toy', tmp_path / 'run', 'cpu', resume=tmp_path / 'evil.pt', progress=False)
    assert not (tmp_path / 'pwned').exists()


def test_config_mismatch_names_the_setting(tmp_path):
    train(CFG, 'toy', tmp_path, 'cpu', progress=False)
    with pytest.raises(ValueError, match=r'another configuration.*lr'):
        train(replace(CFG, lr=1e-4), 'toy', tmp_path, 'cpu', progress=False)


def test_empty_or_missing_data_folder(tmp_path):
    (tmp_path / 'empty').mkdir()
    with pytest.raises(ValueError, match='empty'): train(CFG, tmp_path / 'empty', tmp_path / 'r', 'cpu', progress=False)
    (tmp_path / 'hollow' / 'train').mkdir(parents=True)
    with pytest.raises(ValueError, match='no video files'): train(CFG, tmp_path / 'hollow', tmp_path / 'r', 'cpu', progress=False)
    with pytest.raises(FileNotFoundError, match='not a folder'): train(CFG, tmp_path / 'nope', tmp_path / 'r', 'cpu', progress=False)


def test_too_little_data_for_a_batch(tmp_path):
    with pytest.raises(ValueError, match='cannot fill one batch'):
        train(replace(CFG, train_items=3), 'toy', tmp_path, 'cpu', progress=False)


def test_nan_before_any_checkpoint(tmp_path):
    class AlwaysNaN(ToyGenerator):
        def forward(self, batch):
            out = super().forward(batch); return {**out, 'image': out['image'] * float('nan')}
    with pytest.raises(TrainingDiverged, match='step 0.*no checkpoint was written'):
        train(CFG, 'toy', tmp_path, 'cpu', generator=AlwaysNaN(32), progress=False)
    assert not (tmp_path / CHECKPOINT_FILE).exists()


def test_cli_exit_codes(tmp_path, capsys):
    p = add_train_arguments(argparse.ArgumentParser())
    args = p.parse_args(['--config', 'toy', '--data', 'toy', '--run-dir', str(tmp_path / 'r'), '--device', 'cpu',
                         '--steps', '2', '--no-progress'])
    assert cmd_train(args) == 0
    assert 'done at step 2' in capsys.readouterr().out
    bad = p.parse_args(['--config', 'toy', '--data', str(tmp_path / 'nope'), '--run-dir', str(tmp_path / 's'), '--no-progress'])
    assert cmd_train(bad) == 2
    assert 'not a folder' in capsys.readouterr().err


def test_sigint_then_resume_finishes_the_run(tmp_path):
    cfg = replace(CFG, steps=5, checkpoint_every=100)
    before = signal.getsignal(signal.SIGINT)      # default_int_handler in a terminal; SIG_IGN under `nohup ... &`
    res = train(cfg, 'toy', tmp_path, 'cpu', progress=False,
                callback=lambda step, logs: step == 2 and os.kill(os.getpid(), signal.SIGINT))
    assert res.interrupted and res.step == 2 and load_checkpoint(res.checkpoint)['step'] == 2
    assert signal.getsignal(signal.SIGINT) is before      # the handler is put back, whatever it was
    res = train(cfg, 'toy', tmp_path, 'cpu', progress=False)
    assert not res.interrupted and res.step == 5
    steps = [json.loads(l)['step'] for l in (tmp_path / 'metrics.jsonl').read_text().splitlines()]
    assert steps == sorted(steps)


def test_terminal_ctrl_c_with_workers(tmp_path):
    "SIGINT to the whole process group (what a terminal's Ctrl-C does) with DataLoader workers: a clean stop."
    import subprocess, sys, textwrap
    script = tmp_path / 'run.py'
    script.write_text(textwrap.dedent(f"""
        import os, signal
        from meshreenact.train import train, TrainConfig
        cfg = TrainConfig.toy(steps=50, batch_size=4, workers=2, checkpoint_every=100, eval_every=100, sample_every=100, eval_size=4)
        res = train(cfg, 'toy', {str(tmp_path / 'r')!r}, 'cpu', progress=False,
                    callback=lambda step, logs: step == 3 and os.killpg(os.getpgid(0), signal.SIGINT))
        print('RESULT', res.interrupted, res.step)
    """))
    env = {k: v for k, v in os.environ.items() if k != 'IN_TEST'}
    r = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300, env=env, start_new_session=True)
    assert r.returncode == 0, r.stderr[-3000:]
    assert 'RESULT True 3' in r.stdout, r.stdout + r.stderr[-2000:]
    assert load_checkpoint(tmp_path / 'r' / CHECKPOINT_FILE)['step'] == 3


def test_incomplete_checkpoint(tmp_path):
    save_checkpoint(tmp_path / 'part.pt', {'step': 1, 'config': CFG.to_dict()})
    with pytest.raises(ValueError, match='incomplete'):
        train(CFG, 'toy', tmp_path / 'r', 'cpu', resume=tmp_path / 'part.pt', progress=False)


def test_a_killed_runs_temporary_is_removed_on_the_next_start(tmp_path):
    import subprocess, sys
    dead = subprocess.Popen([sys.executable, '-c', 'pass']); dead.wait()      # a process id that no longer runs
    stale = tmp_path / f'.{CHECKPOINT_FILE}.{dead.pid}.k1ll3d.partial'          # what core.atomic_write leaves after kill -9
    stale.write_bytes(b'half a checkpoint')
    live = tmp_path / f'.{CHECKPOINT_FILE}.{os.getpid()}.wr1t1n.partial'        # a writer that is still running: kept
    live.write_bytes(b'being written')
    train(CFG, 'toy', tmp_path, 'cpu', progress=False)
    assert not stale.exists() and live.exists()
    assert load_checkpoint(tmp_path / CHECKPOINT_FILE)['step'] == CFG.steps
