"""Frames per second of the whole video pipeline (`pipeline.reenact_video`): decode, track, fit, smooth, reenact,
paste, encode, with a per-stage breakdown. Prints figures, asserts nothing.

The source photo is detected and fitted once (reported apart); the driver is tracked (one whole-frame detection,
then a small search window per frame), not detected per frame. Runs: the generator at its 64 px, the warp at 64 and
128 px. The machine may be shared: the load average is printed before and after.
Usage: python scripts/bench_pipeline.py [--frames N] [--threads T] [--clip NAME]
"""
import argparse, os, tempfile, time
from pathlib import Path

import torch

from meshreenact.video import face_models
from meshreenact.assets import sample_media
from meshreenact.pipeline import reenact_video, default_model, reenactor

STAGES = ('decode', 'track', 'fit', 'smooth', 'reenact', 'paste', 'encode')


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--frames', type=int, default=240, help='driving frames per run')
    ap.add_argument('--threads', type=int, default=1, help='torch threads (default 1: the machine is shared)')
    ap.add_argument('--clip', default='WolfgangLanger_Pexels.mp4', help='a sample clip (meshreenact.assets.sample_media)')
    ap.add_argument('--source', default='0-f1-su-ph.jpg', help='a sample photo')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    media = sample_media(verbose=True)
    print(f'torch threads: {torch.get_num_threads()}; cpus: {os.cpu_count()}; load average before: {os.getloadavg()}')
    model = default_model(); face_models(); reenactor('generator')            # loaded once, outside the timings
    runs = [('generator', 64), ('warp', 64), ('warp', 128)]
    with tempfile.TemporaryDirectory() as d:
        for method, size in runs:
            t = time.perf_counter()
            r = reenact_video(media[a.source], media[a.clip], Path(d) / f'{method}{size}.mp4', method=method,
                              size=size if method == 'warp' else None, max_frames=a.frames, progress=False, model=model)
            wall = time.perf_counter() - t
            s, n = r['seconds'], r['frames']
            print(f"\n{method} {size} px, {a.clip} -> {a.source}: {n} frames, {r['fps']:.1f} frames/s for the pipeline "
                  f"(source fit once: {1e3 * s['source']:.0f} ms; wall with it {wall:.1f} s); audio {r['audio']}; "
                  f"tracker {r['tracker']}")
            print('  ' + ', '.join(f"{k} {1e3 * s[k] / n:.1f}" for k in STAGES) + ' ms/frame')
    print(f'\nload average after: {os.getloadavg()}')


if __name__ == '__main__':
    main()
