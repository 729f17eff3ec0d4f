"""Quality of GeneratorConfig.light() against paper() at an equal training budget, 256 px synthetic heads.

    python scripts/compare_light.py --cpu-minutes 15            # equal CPU time each, + light at paper's step count
    python scripts/compare_light.py --cpu-minutes 0.2 --eval 4 --train-items 8   # a smoke test
    python scripts/compare_light.py --steps 60 --loss l1         # the first measurement below (equal steps only)

The budget is CPU seconds of this process spent in training steps (time.process_time around forward, backward and
Adam; rendering data and evaluating are not counted), so other jobs on a shared machine do not change it. The presets
are trained interleaved: the next step always goes to the one that has used less CPU time, so at every moment (and if
a `--stop-at` wall-clock time cuts the run short) both have had the same CPU time. Then light is trained again from
the same seed for exactly the number of steps paper reached (the equal-step framing; its losses are checked against
the interleaved run's first steps, the same trajectory). Both generators start from seed 0 and see the same pairs in
the same order (a pool of `--train-items` synthetic heads of the training identities, 256 px, cycled), with the same
reconstruction loss (default 'l1-ssim', the committed recipe TrainConfig.prior's: losses.make_reconstruction_loss,
λ_rec = 10) and Adam (lr 1e-3, the tiny preset's warm-up rate), one thread. Held out: the first `--eval` pairs of the
test identities, self- and cross-identity PSNR / SSIM (evaluate.evaluate: scikit-image-checked SSIM), with the
source image and the ground-truth mesh warp as references.

Measured on the shared 2-core CPU (issue 15; other helpers' jobs running).

First measurement, equal steps only: 60 steps x batch 2 = 120 image-steps each, plain L1 (`--steps 60 --loss l1`), 16 pairs:
  preset    self PSNR  self SSIM  cross PSNR  cross SSIM  CPU s/step
  light         15.02     0.6564       14.98      0.6583         2.3
  paper         13.12     0.6409       13.12      0.6402        11.0
  (source image: self 17.33 dB / 0.678, cross 17.10 / 0.676; ground-truth mesh warp: 19.81 / 0.816, 19.94 / 0.839)

Second measurement, equal CPU time, 2026-12-02 (the machine was so loaded that the 15 CPU-min budget was cut by
--stop-at after 64 min wall, at 7.2 / 7.4 CPU-min each; l1-ssim loss, lr 1e-3, 16 pairs):
    python scripts/compare_light.py --cpu-minutes 15 --stop-at 03:58 --eval 16 --train-items 256 --out /tmp/light/run.json
  preset      steps  CPU min  s/step  self PSNR  self SSIM  cross PSNR  cross SSIM
  light         216      7.2    2.01      15.96     0.7120       15.85      0.7085
  paper          40      7.4   11.08      12.01     0.6371       12.08      0.6401
  light@40       40      1.5    2.26      15.35     0.6912       15.35      0.6919
  (source image: self 17.33 dB / 0.678, cross 17.10 / 0.676; ground-truth mesh warp: 19.81 / 0.816, 19.94 / 0.839)
  light@40: light re-trained for paper's 40 steps; its 40 losses equal the interleaved run's exactly (max |diff| 0).
At equal CPU time light is ahead by 4 dB and its SSIM is above copying the source (0.712 vs 0.678), its PSNR still
below it (15.96 vs 17.33 dB); at equal steps (40) light is also ahead (15.35 dB / 0.691 vs 12.01 / 0.637). Paper's
40 steps are far too few for it to have learnt much: this ranks early learning per CPU second, not final quality.
"""
import argparse, datetime, json, time
from pathlib import Path

import torch

from meshreenact.core import seed_everything, atomic_write
from meshreenact.assets import cache_dir
from meshreenact.reenact import Generator, GeneratorConfig
from meshreenact.synthetic import SyntheticHeads
from meshreenact.train import MeshGenerator
from meshreenact.losses import make_reconstruction_loss, LossWeights
from meshreenact.evaluate import evaluate, metrics_table


def make_model(name: str) -> torch.nn.Module:
    "The 256 px generator of GeneratorConfig.<name>(), initialised from seed 0."
    seed_everything(0)
    return MeshGenerator(Generator.from_bfm(getattr(GeneratorConfig, name)())).train()


class Trainer:
    "One preset's generator, its Adam, and the CPU seconds and steps it has used."
    def __init__(self, name, lr, loss_fn):
        self.name, self.G = name, make_model(name)
        self.opt, self.loss_fn = torch.optim.Adam(self.G.parameters(), lr), loss_fn
        self.cpu, self.steps, self.losses = 0.0, 0, []

    def step(self, batch: dict) -> None:
        t0 = time.process_time()
        loss = self.loss_fn(self.G(batch)['image'], batch['driving'])
        self.opt.zero_grad(); loss.backward(); self.opt.step()
        self.cpu += time.process_time() - t0; self.steps += 1; self.losses.append(loss.item())

    def summary(self) -> str:
        l = self.losses; k = min(5, len(l))
        return (f"{self.name}: {sum(p.numel() for p in self.G.parameters()):,} parameters; {self.steps} steps in {self.cpu:.0f} s CPU "
                f"({self.cpu / max(self.steps, 1):.2f} s/step); loss {sum(l[:k]) / max(k, 1):.4f} (first {k}) -> {sum(l[-k:]) / max(k, 1):.4f} (last {k})")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--cpu-minutes', type=float, default=15.0, help='CPU-time budget of training steps, per preset')
    ap.add_argument('--steps', type=int, default=None, help='instead of a CPU budget: this many steps each')
    ap.add_argument('--stop-at', default=None, help='wall-clock UTC HH:MM: stop training there (equal CPU so far) and evaluate')
    ap.add_argument('--batch', type=int, default=2)
    ap.add_argument('--train-items', type=int, default=512, help='distinct training pairs, cycled in a fixed order')
    ap.add_argument('--eval', type=int, default=32, help='held-out pairs (self and cross each)')
    ap.add_argument('--lr', type=float, default=1e-3)
    ap.add_argument('--loss', default='l1-ssim', choices=('l1-ssim', 'l1'), help="'l1-ssim': the committed recipe's pyramid (x10); 'l1': plain mean |Î - I|")
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--configs', nargs='+', default=['light', 'paper'])
    ap.add_argument('--out', default=None, help='write the results as JSON here')
    a = ap.parse_args(argv)
    if a.train_items < a.batch: raise ValueError(f"--train-items: need at least one batch ({a.batch}), got {a.train_items}")
    torch.set_num_threads(a.threads)
    if a.loss == 'l1': loss_fn = lambda x, y: (x - y).abs().mean()
    else:
        rec = make_reconstruction_loss('l1-ssim'); lam = LossWeights().rec
        loss_fn = lambda x, y: lam * rec(x, y)
    stop = None
    if a.stop_at:
        h, m = map(int, a.stop_at.split(':'))
        now = datetime.datetime.now(datetime.timezone.utc)
        stop = now.replace(hour=h, minute=m, second=0, microsecond=0)
        if stop <= now: stop += datetime.timedelta(days=1)
    kw = dict(size=256, n_train=1000, seed=0, meshes=False, cache=cache_dir() / 'synthetic')
    train = SyntheticHeads('train', length=a.train_items, cross=False, **kw)
    held = SyntheticHeads('test', length=a.eval, **kw)
    n_batches, batches, t_data = a.train_items // a.batch, {}, 0.0
    def batch(s: int) -> dict:                                  # step s's batch: pool items (s B .. s B + B - 1) mod pool
        nonlocal t_data
        j = s % n_batches
        if j not in batches:
            t0 = time.process_time()
            batches[j] = torch.utils.data.default_collate([train[i] for i in range(j * a.batch, (j + 1) * a.batch)])
            t_data += time.process_time() - t0
        return batches[j]
    budget = None if a.steps else a.cpu_minutes * 60
    framing = f"{a.steps} steps each" if a.steps else f"{a.cpu_minutes:g} CPU-min each"
    print(f"256 px, batch {a.batch}, {a.train_items} training pairs cycled, {a.eval} held-out pairs; loss {a.loss}, Adam {a.lr:g}, "
          f"{a.threads} thread; budget {framing}" + (f", stop at {stop:%H:%M} UTC" if stop else ''), flush=True)

    trainers = [Trainer(n, a.lr, loss_fn) for n in a.configs]
    done = lambda t: (t.steps >= a.steps) if a.steps else (t.cpu >= budget)
    cut, t_wall, last = False, time.time(), time.time()
    while True:
        live = [t for t in trainers if not done(t)]
        if not live: break
        if stop and datetime.datetime.now(datetime.timezone.utc) >= stop: cut = True; break
        t = min(live, key=lambda t: t.cpu)                        # interleaved: the one behind in CPU time goes next
        t.step(batch(t.steps))
        if time.time() - last > 120:
            last = time.time()
            print(f"  [{(last - t_wall) / 60:.0f} min wall] " + '; '.join(f"{u.name} {u.steps} steps {u.cpu:.0f} s CPU loss {u.losses[-1]:.4f}" for u in trainers), flush=True)
    print(f"\ntraining{' (cut by --stop-at)' if cut else ''}: {(time.time() - t_wall) / 60:.0f} min wall; data {t_data:.0f} s CPU (not counted)")
    for t in trainers: print(t.summary())

    results = {}
    for t in trainers:
        m = evaluate(t.G, held, 'cpu', batch_size=a.batch)
        results[t.name] = dict(metrics=m, steps=t.steps, cpu_s=t.cpu, losses=t.losses)
        print(f"\n{t.name} after {t.steps} steps / {t.cpu / 60:.1f} CPU-min:\n" + metrics_table(m), flush=True)

    names = [t.name for t in trainers]
    if 'light' in names and 'paper' in names and not a.steps:       # the equal-step framing: light again, to paper's step count
        n_p = results['paper']['steps']
        again = Trainer('light', a.lr, loss_fn)
        for s in range(n_p): again.step(batch(s))
        ref = results['light']['losses'][:n_p]
        diff = max((abs(x - y) for x, y in zip(again.losses, ref)), default=0.0)
        print(f"\nlight again for paper's {n_p} steps: {again.cpu:.0f} s CPU; its losses vs the interleaved run's first {len(ref)}: max |diff| {diff:.2e}")
        m = evaluate(again.G, held, 'cpu', batch_size=a.batch)
        results[f'light@{n_p}'] = dict(metrics=m, steps=n_p, cpu_s=again.cpu, losses=again.losses, loss_max_diff=diff)
        print(metrics_table(m), flush=True)

    print(f"\nheld-out, {a.eval} pairs (self / cross), {framing}{' (cut)' if cut else ''}; loss {a.loss}, Adam {a.lr:g}, batch {a.batch}, {a.threads} thread:")
    print(f"  {'preset':10s} {'steps':>6s} {'CPU min':>8s} {'s/step':>7s} {'self PSNR':>10s} {'self SSIM':>10s} {'cross PSNR':>11s} {'cross SSIM':>11s}")
    for name, r in results.items():
        m = r['metrics']
        print(f"  {name:10s} {r['steps']:6d} {r['cpu_s'] / 60:8.1f} {r['cpu_s'] / max(r['steps'], 1):7.2f} {m['self_psnr']:10.2f} {m['self_ssim']:10.4f} "
              f"{m.get('cross_psnr', float('nan')):11.2f} {m.get('cross_ssim', float('nan')):11.4f}")
    m = next(iter(results.values()))['metrics']
    print(f"  (source image: self {m['self_source_psnr']:.2f} dB / {m['self_source_ssim']:.3f}, cross {m.get('cross_source_psnr', float('nan')):.2f} / "
          f"{m.get('cross_source_ssim', float('nan')):.3f}; ground-truth mesh warp: {m['self_warp_psnr']:.2f} / {m['self_warp_ssim']:.3f}, "
          f"{m.get('cross_warp_psnr', float('nan')):.2f} / {m.get('cross_warp_ssim', float('nan')):.3f})")
    if a.out:
        with atomic_write(Path(a.out), 'w') as f: json.dump(dict(args=vars(a), cut=cut, results=results), f, indent=1)


if __name__ == '__main__':
    main()
