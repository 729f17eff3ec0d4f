"""The study of issue 11 (§5.2-5.3): every system of `meshreenact.systems` trained by ONE recipe, shorter than the tiny
preset but the same for all (same synthetic data, losses, warm-up then Eq. 4, steps, seed), two runs at a time with one
torch thread each, each generator exported (as `train --export` does) to OUT/NAME-sSEED.pt with its log, metrics.jsonl
and a result line beside it.

    python scripts/study.py --measure 20                   # seconds per step of each system (warm-up and Eq. 4)
    python scripts/study.py --steps 450 --warmup 300       # the study (OUT=/work/study by default)

Order: the headline comparison first (full and keypoints, seeds 0 and 1), then the Table 3 ablations (seed 0), then,
while --deadline allows, the extras (a real `no-idexcl` run to confirm it equals `full`, second seeds of the ablations).

`no-idexcl` (the driving mesh keeps the driver's identity) trains exactly like `full` on the synthetic heads: every
training pair is one person with exact coefficients, so identity exclusion is the identity map there
(`10b_systems` checks this to the bit on a short run). Its checkpoint is therefore `full`'s weights with the flag
off (`derive_no_idexcl`); it differs from `full` only when it reenacts another person. When time allows the study
also trains it for real and reports whether the weights came out equal.

The results committed in data_samples/study_summary.md were produced by (21:33-22:42 UTC, wall time 68.6 min, with
the code of commit 972e5f1 snapshotted to /work/study/code so later edits could not reach the running study):

    cd /work/wt-t11b && OMP_NUM_THREADS=1 PYTHONPATH=$PWD nohup /work/main/.venv/bin/python scripts/study.py \\
        --steps 450 --warmup 300 --deadline 22:50 > /work/study/study.log 2>&1 &
"""
from __future__ import annotations
import argparse, json, os, shutil, statistics, subprocess, sys, time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEADLINE = [('full', 0), ('keypoints', 0), ('full', 1), ('keypoints', 1)]
ABLATIONS = [('baseline', 0), ('baseline+Lc', 0), ('baseline+O', 0), ('cnn', 0)]
EXTRAS = [('no-idexcl', 0), ('baseline', 1), ('baseline+Lc', 1), ('baseline+O', 1), ('cnn', 1)]
METRICS = ('self_psnr', 'self_ssim', 'cross_psnr', 'cross_ssim')


def tag(name: str, seed: int) -> str: return f'{name}-s{seed}'


def child(name: str, seed: int, args) -> int:
    "One run, in its own process: train, export, write OUT/TAG.json."
    import torch
    torch.set_num_threads(1)
    from meshreenact.systems import system_config
    from meshreenact.train import train, export_generator
    out = Path(args.out); t = tag(name, seed)
    cfg = system_config(name, seed=seed, steps=args.steps, warmup=args.warmup, workers=args.workers, eval_every=args.steps,
                        sample_every=args.steps, checkpoint_every=min(250, args.steps), log_every=10)
    run_dir = out / 'runs' / t
    t0 = time.time()
    res = train(cfg, 'synthetic', run_dir, 'cpu', resume=True, progress=False)
    secs = time.time() - t0
    if res.interrupted: print(f"{t}: interrupted at step {res.step}"); return 130
    export_generator(res.checkpoint, out / f'{t}.pt')
    shutil.copyfile(run_dir / 'metrics.jsonl', out / f'{t}.metrics.jsonl')
    rec = {'name': name, 'seed': seed, 'steps': res.step, 'warmup': cfg.warmup, 'seconds': round(secs, 1),
           **{k: round(v, 4) for k, v in res.metrics.items()}}
    (out / f'{t}.json').write_text(json.dumps(rec, indent=1))
    print(json.dumps(rec))
    return 0


def derive_no_idexcl(seed: int, args) -> dict:
    "OUT/no-idexcl-sSEED.pt from full-sSEED.pt: the same weights (see the docstring), identity_exclusion off; evaluated on the same held-out pairs."
    import torch
    torch.set_num_threads(1)
    from meshreenact.systems import system_config
    from meshreenact.checkpoint import load_checkpoint, save_checkpoint, GENERATOR_FORMAT
    from meshreenact.train import load_trained_generator, make_datasets
    from meshreenact.evaluate import evaluate
    from meshreenact.regress import load_regressor
    out = Path(args.out); src = out / f"{tag('full', seed)}.pt"; dst = out / f"{tag('no-idexcl', seed)}.pt"
    ck = load_checkpoint(src, formats=(GENERATOR_FORMAT,))
    cfg = system_config('no-idexcl', seed=seed, steps=args.steps, warmup=args.warmup, workers=args.workers,
                        eval_every=args.steps, sample_every=args.steps, checkpoint_every=min(250, args.steps), log_every=10)
    arch = {**ck['architecture'], 'identity_exclusion': False}
    save_checkpoint(dst, {'format': GENERATOR_FORMAT, 'step': ck['step'], 'config': cfg.to_dict(), 'architecture': arch,
                          'model': ck['model'], 'derived_from': src.name})
    G, cfg2 = load_trained_generator(dst)
    assert G.generator.config.identity_exclusion is False
    _, held = make_datasets(cfg2, 'synthetic')
    t0 = time.time()
    m = evaluate(G, held, 'cpu', cfg2.batch_size, cfg2.eval_size, load_regressor(device='cpu'))
    rec = {'name': 'no-idexcl', 'seed': seed, 'steps': ck['step'], 'warmup': cfg.warmup, 'seconds': round(time.time() - t0, 1),
           'derived_from': src.name, **{k: round(v, 4) for k, v in m.items()}}
    (out / f"{tag('no-idexcl', seed)}.derived.json").write_text(json.dumps(rec, indent=1))
    return rec


def same_weights(a: Path, b: Path) -> bool:
    import torch
    x, y = (torch.load(p, map_location='cpu', weights_only=True)['model'] for p in (a, b))
    return x.keys() == y.keys() and all(torch.equal(x[k], y[k]) for k in x)


def measure(args) -> int:
    "Seconds per step of each system in the warm-up and in Eq. 4, two runs at a time (as the study runs)."
    import torch
    torch.set_num_threads(1)
    from meshreenact.systems import system_config
    from meshreenact.train import train
    import tempfile
    if args.child_measure:
        name = args.child_measure; times = []
        cfg = system_config(name, seed=0, steps=2 * args.measure, warmup=args.measure, workers=args.workers,
                            eval_every=10_000, sample_every=10_000, checkpoint_every=10_000, log_every=10_000)
        with tempfile.TemporaryDirectory() as d:
            train(cfg, 'synthetic', d, 'cpu', resume=False, progress=False, callback=lambda s, l: times.append(time.time()))
        n = args.measure; warm = (times[n - 1] - times[1]) / (n - 2); adv = (times[2 * n - 1] - times[n]) / (n - 1)
        print(json.dumps({'name': name, 'warmup_s_per_step': round(warm, 3), 'eq4_s_per_step': round(adv, 3)}))
        return 0
    names = ['full', 'keypoints', 'baseline', 'cnn']
    res = []
    for i in range(0, len(names), 2):
        ps = [subprocess.Popen([sys.executable, __file__, '--measure', str(args.measure), '--child-measure', n,
                                '--workers', str(args.workers)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                               env={**os.environ, 'OMP_NUM_THREADS': '1'}) for n in names[i:i + 2]]
        for p in ps:
            o, _ = p.communicate(); res.append(json.loads(o.strip().splitlines()[-1]))
            print(res[-1], flush=True)
    return 0


def summary(recs: list, wall: float, args) -> str:
    "The per-run table and, per system, the mean ± spread over seeds (markdown)."
    lines = [f"# Study: every system by one recipe ({args.steps} steps: {args.warmup} warm-up, then Eq. 4), synthetic heads, 64 px",
             '', f"Command: `OMP_NUM_THREADS=1 python scripts/study.py --steps {args.steps} --warmup {args.warmup} "
                 f"--deadline {args.deadline}` (two runs at a time, one torch thread each, {os.cpu_count()} cores); wall time {wall / 60:.1f} min. "
                 f"Held-out metrics: train.evaluate on the first 32 held-out pairs of each seed's synthetic split "
                 f"(cross: another held-out identity drives, with its rendered ground truth).", '',
             '| run | steps | seconds | self PSNR | self SSIM | cross PSNR | cross SSIM | note |', '|---|---|---|---|---|---|---|---|']
    for r in recs:
        note = f"weights of {r['derived_from']}" if 'derived_from' in r else r.get('note', '')
        lines.append(f"| {tag(r['name'], r['seed'])} | {r['steps']} | {r['seconds']} | " +
                     ' | '.join(f"{r.get(k, float('nan')):.3f}" for k in METRICS) + f" | {note} |")
    lines += ['', '| system | seeds | ' + ' | '.join(METRICS) + ' |', '|---|---|' + '---|' * len(METRICS)]
    for name in dict.fromkeys(r['name'] for r in recs):
        rs = [r for r in recs if r['name'] == name]
        cell = lambda k: (f"{statistics.mean(r[k] for r in rs):.3f} ± {statistics.stdev(r[k] for r in rs):.3f}" if len(rs) > 1
                          else f"{rs[0][k]:.3f}")
        lines.append(f"| {name} | {len(rs)} | " + ' | '.join(cell(k) for k in METRICS) + ' |')
    if recs and 'self_source_psnr' in recs[0]:
        r = recs[0]
        lines += ['', f"References on seed {r['seed']}'s pairs: source image self PSNR/SSIM {r['self_source_psnr']:.3f}/{r['self_source_ssim']:.3f}, "
                      f"mesh warp {r['self_warp_psnr']:.3f}/{r['self_warp_ssim']:.3f}; cross source {r['cross_source_psnr']:.3f}/{r['cross_source_ssim']:.3f}, "
                      f"cross warp {r['cross_warp_psnr']:.3f}/{r['cross_warp_ssim']:.3f}."]
    return '\n'.join(lines) + '\n'


def study(args) -> int:
    out = Path(args.out); out.mkdir(parents=True, exist_ok=True)
    deadline = datetime.now(timezone.utc).replace(hour=int(args.deadline[:2]), minute=int(args.deadline[3:]), second=0)
    parse = lambda v: [(t.rsplit('-s', 1)[0], int(t.rsplit('-s', 1)[1])) for t in v.split(',') if t]
    queue = parse(args.runs) if args.runs is not None else HEADLINE + ABLATIONS
    extras = parse(args.extras) if args.extras is not None else list(EXTRAS)
    t_start = time.time(); running = {}; done = []
    derived = set()

    def launch(name, seed):
        t = tag(name, seed)
        if (out / f'{t}.json').exists():                           # done by an earlier invocation: keep it
            done.append(json.loads((out / f'{t}.json').read_text())); return
        log = open(out / f'{t}.log', 'w')
        cmd = [sys.executable, __file__, '--child', name, str(seed), '--steps', str(args.steps), '--warmup', str(args.warmup),
               '--workers', str(args.workers), '--out', str(out)]
        running[t] = (subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, 'OMP_NUM_THREADS': '1'}),
                      log, time.time(), name, seed)
        print(f"{datetime.now(timezone.utc):%H:%M:%S} start {t}", flush=True)

    def report(r):
        print(f"{datetime.now(timezone.utc):%H:%M:%S} {r['name']:12s} seed {r['seed']}  steps {r['steps']}  {r['seconds']:7.1f} s  "
              f"self PSNR {r.get('self_psnr', float('nan')):.3f} SSIM {r.get('self_ssim', float('nan')):.3f}  "
              f"cross PSNR {r.get('cross_psnr', float('nan')):.3f} SSIM {r.get('cross_ssim', float('nan')):.3f}"
              + (f"  (weights of {r['derived_from']})" if 'derived_from' in r else ''), flush=True)

    while queue or running or extras:
        while len(running) < args.parallel and (queue or extras):
            if queue: launch(*queue.pop(0)); continue
            secs = [r['seconds'] for r in done if 'derived_from' not in r]
            if not secs:                                            # no estimate of a run's length yet: wait for one
                if not running: extras.clear()                      # (none will come)
                break
            est = statistics.median(secs)
            if datetime.now(timezone.utc).timestamp() + est > deadline.timestamp(): extras.clear(); break
            launch(*extras.pop(0))
        for t, (p, log, t0, name, seed) in list(running.items()):
            if p.poll() is None: continue
            log.close(); del running[t]
            if p.returncode != 0 or not (out / f'{t}.json').exists():
                print(f"{t}: FAILED (exit {p.returncode}); see {out / (t + '.log')}", flush=True); continue
            done.append(json.loads((out / f'{t}.json').read_text()))
        for r in list(done):
            if r.get('_reported'): continue
            r['_reported'] = True; report(r)
            if r['name'] == 'full' and r['seed'] not in derived:
                derived.add(r['seed']); d = derive_no_idexcl(r['seed'], args); d['_reported'] = True; done.append(d); report(d)
        time.sleep(2)
    for r in done:                                                  # the real no-idexcl run against the derived weights
        if r['name'] == 'no-idexcl' and 'derived_from' not in r:
            eq = same_weights(out / f"{tag('full', r['seed'])}.pt", out / f"{tag('no-idexcl', r['seed'])}.pt")
            r['note'] = f"trained; weights {'EQUAL' if eq else 'DIFFERENT'} to full-s{r['seed']}"
            print(f"no-idexcl-s{r['seed']} trained for real: weights {'equal' if eq else 'differ from'} full-s{r['seed']}'s", flush=True)
    order = {n: i for i, n in enumerate(['full', 'keypoints', 'baseline', 'baseline+Lc', 'baseline+O', 'cnn', 'no-idexcl'])}
    recs = sorted((r for r in done), key=lambda r: (order[r['name']], r['seed'], 'derived_from' not in r))
    # one record per (name, seed): a real no-idexcl run replaces the derived one in the table
    uniq = {}
    for r in recs: uniq[(r['name'], r['seed'])] = r
    recs = [{k: v for k, v in r.items() if k != '_reported'} for r in uniq.values()]
    wall = time.time() - t_start
    text = summary(recs, wall, args)
    (out / 'summary.md').write_text(text); (out / 'summary.json').write_text(json.dumps(recs, indent=1))
    print(text, flush=True)
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--steps', type=int, default=450); p.add_argument('--warmup', type=int, default=300)
    p.add_argument('--workers', type=int, default=0); p.add_argument('--parallel', type=int, default=2)
    p.add_argument('--out', default='/work/study'); p.add_argument('--deadline', default='22:50', help='UTC HH:MM: no extra run starts that would end later')
    p.add_argument('--measure', type=int, default=0, help='only measure seconds per step (this many steps per phase)')
    p.add_argument('--runs', default=None, help='comma-separated NAME-sSEED runs instead of the headline and ablations')
    p.add_argument('--extras', default=None, help='comma-separated NAME-sSEED extra runs (default: a real no-idexcl-s0, second ablation seeds)')
    p.add_argument('--child', nargs=2, default=None, help=argparse.SUPPRESS)
    p.add_argument('--child-measure', default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.measure: return measure(args)
    if args.child: return child(args.child[0], int(args.child[1]), args)
    return study(args)


if __name__ == '__main__':
    sys.exit(main())
