"""Choose settings on real frames the benchmark never scores: self-reenactment of the sample clip's training frames.

    python scripts/tune_real.py NAME=generator.pt [NAME=...] [--pairs 48] [--seed 1]

`meshreenact evaluate` scores real faces on Wolfgang frames 0-119, single_face.mp4 and the photos; those are the
report, not the place to pick a recipe. This script draws self-reenactment pairs from realdata.REAL_TUNE (Wolfgang
frames 400-471, never trained on: realdata.REAL_TRAIN stops at 400; cropped and fitted by realdata.clip_frames, one identity for the clip) and prints PSNR / SSIM of each
generator against copying the source and the training-free warp, over all pairs and over the near-rest pairs (PSNR
between source and driver above 30 dB: a frame pair that barely moves, where a reenactor must change nothing). Cross-identity: the four faces of
multi_face.jpg (not among evaluate.REAL_PHOTOS), each cropped from the photo, driven by REAL_TUNE frames; CSIM to
the source, PRMSE and AUCON to the driver as `evaluate` reads them (dlib at READ_SIZE), paired difference to the warp with
a bootstrap interval (`--cross 0` skips it). Neither a synthetic-only generator nor one trained with data='mixed' has seen these
frames (the person, though, is the one data='mixed' trains on).
"""
import argparse

import torch

from meshreenact.morphable import load_bfm, Coeffs
from meshreenact.realdata import real_training_clips, REAL_TUNE
import numpy as np
from meshreenact.evaluate import psnr, parse_generators, read_faces, csim, pose_errors, prmse, aucon, bootstrap_difference as paired
from meshreenact.apps import real_faces
from meshreenact.assets import sample_media
from meshreenact.fit import read_image
from meshreenact.video import detect_faces
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


def multi_face_sources(model, size: int = 64) -> dict:
    "The faces of multi_face.jpg, each from a square crop 1.8x its detected box (so it is the largest face there), fitted."
    img = np.asarray(read_image(sample_media(verbose=False)['multi_face.jpg']))
    crops = []
    for f in detect_faces(img, upsample=1):
        l, t, r, b = f.box
        cx, cy, h = (l + r) / 2, (t + b) / 2, 0.9 * max(r - l, b - t)
        y0, y1, x0, x1 = (max(int(v), 0) for v in (cy - h, cy + h, cx - h, cx + h))
        crops.append(np.ascontiguousarray(img[y0:y1, x0:x1]))
    return real_faces(model, crops, size=size)


def run(G, s, d, sc, dc):
    with torch.no_grad():
        return G({'source': s, 'driving': d, 'source_coeffs': sc, 'driving_coeffs': dc})['image'].clamp(0, 1)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('generators', nargs='*', help='NAME=PATH of exported generators')
    ap.add_argument('--pairs', type=int, default=48)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--cross', type=int, default=64, help='cross-identity pairs (0: none)')
    ap.add_argument('--size', type=int, default=64, help='image side (the generators must all work at it)')
    a = ap.parse_args(argv)
    torch.set_num_threads(1)
    model = load_bfm(verbose=False)
    gens = parse_generators(a.generators)
    p = tune_pairs(model, a.pairs, a.seed, a.size)
    s, d = p['sources'], p['drivers']
    outs = {'source': s, 'warp': mesh_warp(model, s, Coeffs.from_vector(p['source_coeffs']), Coeffs.from_vector(p['driver_coeffs']))[0]}
    loaded = {}
    for name, path in gens.items():
        G, cfg = load_trained_generator(path); G.eval(); loaded[name] = G
        outs[name] = run(G, s, d, p['source_coeffs'], p['driver_coeffs'])
    rest = psnr(s, d) > 30
    print(f'{a.pairs} REAL_TUNE self pairs (seed {a.seed}), {int(rest.sum())} near rest')
    print(f"{'system':34s} {'PSNR':>7s} {'SSIM':>7s} {'rest PSNR':>10s}")
    for name, x in outs.items():
        ps, ss = psnr(x, d), ssim(x, d)
        print(f'{name:34s} {ps.mean():7.2f} {ss.mean():7.3f} {ps[rest].mean() if rest.any() else float("nan"):10.2f}')
    if not a.cross: return
    src = multi_face_sources(model, a.size)
    g = torch.Generator().manual_seed(a.seed + 1)
    i = torch.randint(0, len(src['images']), (a.cross,), generator=g); j = torch.randint(0, len(p['drivers']), (a.cross,), generator=g)
    cs, cc, cd, dc = src['images'][i], src['coeffs'][i], p['drivers'][j], p['driver_coeffs'][j]
    cache = {}
    rs, rd = read_faces(cs, model, cache), read_faces(cd, model, cache)
    res = {'warp': mesh_warp(model, cs, Coeffs.from_vector(cc), Coeffs.from_vector(dc))[0]}
    res.update({n: run(G, cs, cd, cc, dc) for n, G in loaded.items()})
    reads = {n: read_faces(x, model, cache) for n, x in res.items()}
    ok = rs.found & rd.found
    for r in reads.values(): ok &= r.found
    print(f"\n{a.cross} cross-identity pairs ({len(src['images'])} multi_face.jpg faces x REAL_TUNE drivers), {int(ok.sum())} with every face found")
    print(f"{'system':34s} {'CSIM':>7s} {'PRMSE':>7s} {'AUCON':>7s}   paired - warp: CSIM, PRMSE, AUCON (95 % interval)")
    w_c, w_e, w_a = csim(rs, reads['warp'])[ok].numpy(), pose_errors(reads['warp'], rd)[ok].numpy(), aucon(reads['warp'], rd)[ok].numpy()
    rms = lambda e: float(np.sqrt((e ** 2).mean()))
    for n, r in reads.items():
        c, e, u = csim(rs, r)[ok].numpy(), pose_errors(r, rd)[ok].numpy(), aucon(r, rd)[ok].numpy()
        extra = '' if n == 'warp' else ('   {:+.4f} [{:+.4f}, {:+.4f}]'.format(*paired(c, w_c, np.mean)) + '   {:+.2f} [{:+.2f}, {:+.2f}]'.format(*paired(e, w_e, rms))
                                        + '   {:+.3f} [{:+.3f}, {:+.3f}]'.format(*paired(u, w_a, np.mean)))
        print(f'{n:34s} {c.mean():7.3f} {rms(e):7.2f} {u.mean():7.3f}' + extra)


if __name__ == '__main__':
    main()
