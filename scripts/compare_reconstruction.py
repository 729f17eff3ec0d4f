"""Train the tiny warm-up once per fallback reconstruction loss and write the held-out metrics (issue 7).

    python scripts/compare_reconstruction.py [--steps N] [--out data_samples/reconstruction_comparison.json]

Each candidate trains the tiny configuration (same seed, data and schedule) with the reconstruction term alone for the
length of the tiny preset's warm-up, then is scored on the held-out synthetic identities (self and cross reenactment).
About 5 minutes per candidate on a 2-core CPU.
"""
import argparse, json, platform, time
from pathlib import Path

import torch

from meshreenact.train import compare_reconstruction_losses, RECONSTRUCTION_CANDIDATES, TrainConfig, default_generator_path


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
    out = Path(a.out); tmp = out.with_suffix('.partial'); tmp.write_text(json.dumps(record, indent=1)); tmp.replace(out)
    print(f"{'loss':12s}{'self PSNR':>11s}{'self SSIM':>11s}{'cross PSNR':>11s}{'cross SSIM':>11s}{'seconds':>9s}")
    for k, m in res.items():
        print(f"{k:12s}{m['self_psnr']:11.2f}{m['self_ssim']:11.3f}{m['cross_psnr']:11.2f}{m['cross_ssim']:11.3f}{m['seconds']:9.0f}")
    m = next(iter(res.values()))
    print(f"{'source':12s}{m['self_source_psnr']:11.2f}{m['self_source_ssim']:11.3f}{m['cross_source_psnr']:11.2f}{m['cross_source_ssim']:11.3f}")
    print(f"{'mesh warp':12s}{m['self_warp_psnr']:11.2f}{m['self_warp_ssim']:11.3f}{m['cross_warp_psnr']:11.2f}{m['cross_warp_ssim']:11.3f}")
    print(f"wrote {out} in {time.time() - t0:.0f} s")


if __name__ == '__main__':
    main()
