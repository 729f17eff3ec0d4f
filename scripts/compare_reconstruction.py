"""Train the tiny warm-up once per fallback reconstruction loss and write the held-out metrics (issue 7).

    python scripts/compare_reconstruction.py [--steps N] [--out data_samples/reconstruction_comparison.json]

Each candidate trains the tiny configuration (same seed, data and schedule) with the reconstruction term alone for the
length of the tiny preset's warm-up, then is scored on the held-out synthetic identities (self and cross reenactment).
About 5 minutes per candidate on a 2-core CPU.
"""
import argparse, json, platform, time
from pathlib import Path

import numpy as np
import torch

from meshreenact.core import atomic_write
from meshreenact.train import TrainConfig, train, default_generator_path

RECONSTRUCTION_CANDIDATES = ('l1-ssim', 'l1', 'vgg-random', 'regressor')


def compare_reconstruction_losses(kinds=RECONSTRUCTION_CANDIDATES,  # losses.make_reconstruction_loss kinds
                                  steps: int | None = None,         # default: the tiny preset's warm-up
                                  data='synthetic', run_root: str | Path = 'runs/reconstruction', device=None,
                                  progress: bool = True, **changes) -> dict:  # changes: to TrainConfig.tiny
    "Train the tiny warm-up once per reconstruction loss; {kind: held-out metrics + 'seconds', 'steps'}."
    steps = steps if steps is not None else TrainConfig.tiny(**changes).warmup
    out = {}
    for kind in kinds:
        cfg = TrainConfig.tiny(**{**changes, **dict(reconstruction=kind, steps=steps, warmup=steps, eval_every=steps,
                                                     sample_every=steps, checkpoint_every=steps)})
        t0 = time.time()
        res = train(cfg, data, Path(run_root) / kind, device, resume=False, progress=progress)
        out[kind] = {**res.metrics, 'seconds': round(time.time() - t0, 1), 'steps': res.step}
    return out


def comparison_figure(results: dict, title: str = ''):
    "Held-out PSNR and SSIM per reconstruction loss (bars), with the source image and the mesh-flow warp as lines."
    import matplotlib.pyplot as plt
    kinds = list(results)
    fig, axes = plt.subplots(1, 2, figsize=(12, 3.2))
    for ax, met in zip(axes, ('psnr', 'ssim')):
        for k, (kind_, off) in enumerate((('self', -0.2), ('cross', 0.2))):
            vals = [results[c].get(f'{kind_}_{met}', float('nan')) for c in kinds]
            ax.bar(np.arange(len(kinds)) + off, vals, 0.4, label=f'{kind_}-reenactment', color=('tab:blue', 'tab:orange')[k])
            r = results[kinds[0]]
            if f'{kind_}_warp_{met}' in r:
                ax.axhline(r[f'{kind_}_warp_{met}'], ls='--', c=('tab:blue', 'tab:orange')[k], lw=1, label=f'mesh warp ({kind_})')
                ax.axhline(r[f'{kind_}_source_{met}'], ls=':', c=('tab:blue', 'tab:orange')[k], lw=1, label=f'source image ({kind_})')
        lo = min(min(r.get(f'self_source_{met}', 1e9), r.get(f'cross_source_{met}', 1e9)) for r in results.values())
        ax.set_ylim(lo * 0.95, None); ax.set_xticks(range(len(kinds)), kinds); ax.set_title(f'held-out {met.upper()}', fontsize=10)
    axes[1].legend(fontsize=7, loc='center left', bbox_to_anchor=(1.02, 0.5))
    if title: fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--steps', type=int, default=None, help="steps per candidate (default: the tiny preset's warm-up)")
    p.add_argument('--kinds', nargs='+', default=list(RECONSTRUCTION_CANDIDATES))
    p.add_argument('--run-root', default='runs/reconstruction')
    p.add_argument('--out', default=str(default_generator_path().parent / 'reconstruction_comparison.json'))
    a = p.parse_args()
    t0 = time.time()
    steps = a.steps if a.steps is not None else TrainConfig.tiny().warmup
    res = compare_reconstruction_losses(a.kinds, steps, run_root=a.run_root, progress=False)
    record = dict(steps=steps, eval_size=TrainConfig.tiny().eval_size, torch=torch.__version__, threads=torch.get_num_threads(),
                  machine=platform.machine(), seconds=round(time.time() - t0, 1), results=res)
    out = Path(a.out)
    with atomic_write(out, 'w') as f: f.write(json.dumps(record, indent=1))
    print(f"{'loss':12s}{'self PSNR':>11s}{'self SSIM':>11s}{'cross PSNR':>11s}{'cross SSIM':>11s}{'seconds':>9s}")
    for k, m in res.items():
        print(f"{k:12s}{m['self_psnr']:11.2f}{m['self_ssim']:11.3f}{m['cross_psnr']:11.2f}{m['cross_ssim']:11.3f}{m['seconds']:9.0f}")
    m = next(iter(res.values()))
    print(f"{'source':12s}{m['self_source_psnr']:11.2f}{m['self_source_ssim']:11.3f}{m['cross_source_psnr']:11.2f}{m['cross_source_ssim']:11.3f}")
    print(f"{'mesh warp':12s}{m['self_warp_psnr']:11.2f}{m['self_warp_ssim']:11.3f}{m['cross_warp_psnr']:11.2f}{m['cross_warp_ssim']:11.3f}")
    print(f"wrote {out} in {time.time() - t0:.0f} s")


if __name__ == '__main__':
    main()
