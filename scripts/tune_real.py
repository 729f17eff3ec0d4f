"""Choose settings on real frames the benchmark never scores: self-reenactment of the sample clip's training frames.

    python scripts/tune_real.py NAME=generator.pt [NAME=...] [--pairs 48] [--seed 1]

`meshreenact evaluate` scores real faces on Wolfgang frames 0-119, single_face.mp4 and the photos; those are the
report, not the place to pick a recipe. This script draws self-reenactment pairs from realdata.REAL_TUNE (Wolfgang
frames 400-471, never trained on: realdata.REAL_TRAIN stops at 400; cropped and fitted by realdata.clip_frames, one identity for the clip) and prints PSNR / SSIM of each
generator against copying the source and the training-free warp, over all pairs and over the near-rest pairs (PSNR
between source and driver above 30 dB: a frame pair that barely moves, where a reenactor must change nothing). No dlib
here: it runs in a few seconds a generator. Neither a synthetic-only generator nor one trained with data='mixed' has seen these
frames (the person, though, is the one data='mixed' trains on).
"""
import argparse

import torch

from meshreenact.morphable import load_bfm, Coeffs
from meshreenact.realdata import real_training_clips, REAL_TUNE
from meshreenact.evaluate import psnr, parse_generators
from meshreenact.losses import ssim
from meshreenact.train import load_trained_generator
from meshreenact.apps import mesh_warp


def tune_pairs(model, n: int, seed: int, size: int = 64) -> dict:
    "n seeded (source, driver) frame pairs of the REAL_TUNE frames: images (n, 3, S, S) in [0, 1] and coefficients (n, 62)."
    clip = real_training_clips(model, size=size, frames=REAL_TUNE)[0]
    g = torch.Generator().manual_seed(seed)
    i = torch.randint(0, len(clip), (n,), generator=g); j = torch.randint(0, len(clip), (n,), generator=g)
    j = torch.where(i == j, (j + 1) % len(clip), j)
    img = clip.images.float() / 255
    return dict(sources=img[i], drivers=img[j], source_coeffs=clip.coeffs[i], driver_coeffs=clip.coeffs[j])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('generators', nargs='*', help='NAME=PATH of exported generators')
    ap.add_argument('--pairs', type=int, default=48)
    ap.add_argument('--seed', type=int, default=1)
    a = ap.parse_args(argv)
    torch.set_num_threads(1)
    model = load_bfm(verbose=False)
    gens = parse_generators(a.generators)
    p = tune_pairs(model, a.pairs, a.seed)
    s, d = p['sources'], p['drivers']
    outs = {'source': s, 'warp': mesh_warp(model, s, Coeffs.from_vector(p['source_coeffs']), Coeffs.from_vector(p['driver_coeffs']))[0]}
    for name, path in gens.items():
        G, cfg = load_trained_generator(path); G.eval()
        with torch.no_grad():
            outs[name] = G({'source': s, 'driving': d, 'source_coeffs': p['source_coeffs'], 'driving_coeffs': p['driver_coeffs']})['image'].clamp(0, 1)
    rest = psnr(s, d) > 30
    print(f'{a.pairs} REAL_TUNE self pairs (seed {a.seed}), {int(rest.sum())} near rest')
    print(f"{'system':34s} {'PSNR':>7s} {'SSIM':>7s} {'rest PSNR':>10s}")
    for name, x in outs.items():
        ps, ss = psnr(x, d), ssim(x, d)
        print(f'{name:34s} {ps.mean():7.2f} {ss.mean():7.3f} {ps[rest].mean() if rest.any() else float("nan"):10.2f}')


if __name__ == '__main__':
    main()
