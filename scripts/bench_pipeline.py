"""Frames per second of the whole video pipeline (`pipeline.reenact_video`): decode, track, fit, smooth, reenact,
paste, encode, with a per-stage breakdown, and the reenact stage split into the generator's parts. Prints figures,
asserts nothing.

The source photo is detected and fitted once (reported apart); the driver is tracked (one whole-frame detection,
then a small search window per frame), not detected per frame. Runs: the committed mesh-prior generator at 64 px
(data_samples/generator64.pt), a 128 px mesh-prior generator (--generator128 PATH, or by default
GeneratorConfig.tiny(size=128, mesh_prior=True, pixel_path=True) with RANDOM weights: its speed is a trained one's,
its pictures are not), and the warp at 64 and 128 px. The machine may be shared: the load average is printed before
and after. Goals (issue 15): >= 25 frames/s at 64 px, >= 10 at 128 px, on 2 cores.
Usage: python scripts/bench_pipeline.py [--frames N] [--threads T] [--generator128 PATH] [--no-warp]
"""
import argparse, os, tempfile, time
from pathlib import Path

import torch

from meshreenact.video import face_models
from meshreenact.assets import sample_media
from meshreenact.core import identity_grid
from meshreenact.morphable import Coeffs
from meshreenact.pipeline import reenact_video, default_model, reenactor
from meshreenact.reenact import Generator, GeneratorConfig

STAGES = ('decode', 'track', 'fit', 'smooth', 'reenact', 'paste', 'encode')


def generator_parts(G, batch: int, reps: int = 3) -> str:
    "Milliseconds per frame of the generator's parts on one batch (mesh construction, motion net, mesh prior, reenacting module)."
    S = G.config.size
    img = torch.rand(1, 3, S, S).expand(batch, -1, -1, -1)         # one source, as in a video
    cs, cd = Coeffs.sample(batch, seed=1), Coeffs.sample(batch, seed=2)
    t = dict.fromkeys(('meshes', 'motion net', 'prior', 'reenacting module', 'the prior by scipy instead'), 0.0)
    with torch.no_grad():
        for rep in range(reps + 1):
            c = [time.perf_counter()]
            def lap(k):
                now = time.perf_counter()
                if rep: t[k] += now - c[0]
                c[0] = now
            st = G.meshes(cs, cd); lap('meshes')
            flow = G.motion(st); lap('motion net')
            prior = G.prior_flow(st) if G.config.mesh_prior else None; lap('prior')
            if prior is not None: flow = flow - identity_grid(*flow.shape[:3]) + prior
            G.reenact(img, flow, G.reenact.encode(img[:1])); lap('reenacting module')   # the source encoded once, as the pipeline does
            if G.config.mesh_prior: G.prior_flow(st, solver='scipy'); lap('the prior by scipy instead')
    return ', '.join(f'{k} {1e3 * v / reps / batch:.1f}' for k, v in t.items()) + ' ms/frame'


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--frames', type=int, default=240, help='driving frames per run')
    ap.add_argument('--threads', type=int, default=1, help='torch threads (default 1: the machine is shared)')
    ap.add_argument('--clip', default='WolfgangLanger_Pexels.mp4', help='a sample clip (meshreenact.assets.sample_media)')
    ap.add_argument('--source', default='0-f1-su-ph.jpg', help='a sample photo')
    ap.add_argument('--generator', default=None, help='the 64 px generator (default: data_samples/generator64.pt)')
    ap.add_argument('--generator128', default=None, help='a trained 128 px generator (default: a random-weight tiny 128 px one)')
    ap.add_argument('--batch', type=int, default=16, help='frames fitted and rendered at a time')
    ap.add_argument('--no-warp', action='store_true', help='skip the warp runs')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    media = sample_media(verbose=True)
    print(f'torch threads: {torch.get_num_threads()}; cpus: {os.cpu_count()}; load average before: {os.getloadavg()}')
    model = default_model(); face_models()                                     # loaded once, outside the timings
    g64, _ = reenactor('generator', a.generator)
    if a.generator128: g128, _ = reenactor('generator', a.generator128); note128 = a.generator128
    else:
        torch.manual_seed(0)
        g128 = Generator.from_bfm(GeneratorConfig.tiny(size=128, mesh_prior=True, pixel_path=True)).eval()
        note128 = 'tiny(size=128, mesh_prior, pixel_path), random weights'
    runs = [('generator', g64, 64, a.generator or 'data_samples/generator64.pt'), ('generator', g128, 128, note128)]
    if not a.no_warp: runs += [('warp', None, 64, 'training-free'), ('warp', None, 128, 'training-free')]
    with tempfile.TemporaryDirectory() as d:
        for method, G, size, note in runs:
            t = time.perf_counter()
            r = reenact_video(media[a.source], media[a.clip], Path(d) / f'{method}{size}.mp4', method=method, generator=G,
                              size=size if method == 'warp' else None, max_frames=a.frames, progress=False, model=model,
                              batch=a.batch)
            wall = time.perf_counter() - t
            s, n = r['seconds'], r['frames']
            print(f"\n{method} {size} px ({note}), {a.clip} -> {a.source}: {n} frames, {r['fps']:.1f} frames/s for the "
                  f"pipeline (source fit once: {1e3 * s['source']:.0f} ms; wall with it {wall:.1f} s); load average {os.getloadavg()[0]:.2f}")
            print('  ' + ', '.join(f"{k} {1e3 * s[k] / n:.1f}" for k in STAGES) + ' ms/frame')
            if G is not None: print(f'  the reenact stage, batch {a.batch}: ' + generator_parts(G, a.batch))
    print(f'\nload average after: {os.getloadavg()}')


if __name__ == '__main__':
    main()
