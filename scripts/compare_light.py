"""Quality of GeneratorConfig.light() against paper() at an equal training budget, 256 px synthetic heads.

    python scripts/compare_light.py                    # 60 steps of batch 2 each (120 image-steps), 1 thread
    python scripts/compare_light.py --steps 5 --eval 4 # a smoke test

Both generators start from the same seed, see the same pairs in the same order (synthetic heads, 256 px, training
identities) and are trained with the same plain L1 image loss and Adam (lr 1e-3, the warm-up rate of the tiny
preset), one thread. Held out: the first `--eval` pairs of the test identities, self- and cross-identity PSNR / SSIM
(train.evaluate: scikit-image-checked SSIM), with the source image and the ground-truth mesh warp as references.
This is a small budget: it ranks how fast the two architectures start to learn, not where they end.

Measured on the shared 2-core CPU (issue 15; other helpers' jobs running), 60 steps x batch 2 = 120 image-steps each:
  preset    self PSNR  self SSIM  cross PSNR  cross SSIM  CPU s/step
  light         15.02     0.6564       14.98      0.6583         2.3
  paper         13.12     0.6409       13.12      0.6402        11.0
  (source image: self 17.33 dB / 0.678, cross 17.10 / 0.676; ground-truth mesh warp: 19.81 / 0.816, 19.94 / 0.839)
"""
import argparse, time

import torch

from meshreenact.core import seed_everything
from meshreenact.assets import cache_dir
from meshreenact.reenact import Generator, GeneratorConfig
from meshreenact.synthetic import SyntheticHeads
from meshreenact.train import MeshGenerator
from meshreenact.evaluate import evaluate, metrics_table


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--steps', type=int, default=60)
    ap.add_argument('--batch', type=int, default=2)
    ap.add_argument('--eval', type=int, default=16, help='held-out pairs')
    ap.add_argument('--lr', type=float, default=1e-3)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--configs', nargs='+', default=['light', 'paper'])
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    kw = dict(size=256, n_train=1000, seed=0, meshes=False, cache=cache_dir() / 'synthetic')
    train = SyntheticHeads('train', length=a.steps * a.batch, cross=False, **kw)
    held = SyntheticHeads('test', length=a.eval, **kw)
    t0 = time.process_time()
    batches = [torch.utils.data.default_collate([train[i] for i in range(s * a.batch, (s + 1) * a.batch)]) for s in range(a.steps)]
    for i in range(a.eval): held[i]
    print(f"data: {a.steps * a.batch} training pairs, {a.eval} held-out pairs, 256 px (rendered/read in {time.process_time() - t0:.0f} s CPU)", flush=True)
    results = {}
    for name in a.configs:
        seed_everything(0)
        G = MeshGenerator(Generator.from_bfm(getattr(GeneratorConfig, name)())).train()
        opt = torch.optim.Adam(G.parameters(), a.lr)
        t0, losses = time.process_time(), []
        for b in batches:
            loss = (G(b)['image'] - b['driving']).abs().mean()
            opt.zero_grad(); loss.backward(); opt.step(); losses.append(loss.item())
        t_train = time.process_time() - t0
        m = evaluate(G, held, 'cpu', batch_size=a.batch)
        results[name] = (m, t_train, losses)
        print(f"\n{name}: {sum(p.numel() for p in G.parameters()):,} parameters; {a.steps} steps x batch {a.batch} "
              f"= {a.steps * a.batch} image-steps in {t_train:.0f} s CPU ({t_train / a.steps:.1f} s/step); "
              f"L1 {sum(losses[:5]) / min(5, len(losses)):.4f} (first 5) -> {sum(losses[-5:]) / min(5, len(losses)):.4f} (last 5)")
        print(metrics_table(m), flush=True)
    if len(results) > 1:
        print(f"\nheld-out, {a.eval} pairs, after {a.steps * a.batch} image-steps each (L1, Adam {a.lr:g}, {a.threads} thread):")
        print(f"  {'preset':8s} {'self PSNR':>10s} {'self SSIM':>10s} {'cross PSNR':>11s} {'cross SSIM':>11s} {'CPU s/step':>11s}")
        for name, (m, t, _) in results.items():
            print(f"  {name:8s} {m['self_psnr']:10.2f} {m['self_ssim']:10.4f} {m.get('cross_psnr', float('nan')):11.2f} "
                  f"{m.get('cross_ssim', float('nan')):11.4f} {t / a.steps:11.1f}")


if __name__ == '__main__':
    main()
