"""Benchmark of the real-video pipeline (meshreenact.video) on this machine: prints figures, asserts nothing.

Stages, per frame of the Pexels sample clip (640x360): decoding, dlib face detection (HOG, upsample 0), the
68-landmark predictor, cropping + resizing, writing the PNG crops; then `crop_clip` end to end (crops/s).
Usage: python scripts/bench_video.py [--frames N] [--size S]
"""
import argparse, tempfile, time

import numpy as np
import torch

from meshreenact.video import detect_faces, face_models, crop_box, crop_frames, crop_clip
from meshreenact.assets import sample_media
from meshreenact.videoio import read_video


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--frames', type=int, default=96, help='frames of the clip to process')
    ap.add_argument('--size', type=int, default=256, help='crop side in pixels')
    a = ap.parse_args()
    print(f'torch threads: {torch.get_num_threads()}')
    clip = sample_media(verbose=True)['WolfgangLanger_Pexels.mp4']
    face_models()                                                        # load once, outside the timings

    t = time.perf_counter(); frames, _ = read_video(clip, max_frames=a.frames); dt_read = time.perf_counter() - t
    T, H, W = frames.shape[:3]
    print(f'clip {clip.name}: {T} frames of {W}x{H}')
    print(f'decode:               {dt_read / T * 1e3:7.1f} ms/frame')

    detector, predictor = face_models()
    t = time.perf_counter(); rects = [detector(f, 0) for f in frames]; dt = time.perf_counter() - t
    print(f'dlib detection:       {dt / T * 1e3:7.1f} ms/frame (HOG, upsample 0, {W}x{H}); {sum(len(r) > 0 for r in rects)}/{T} frames with a face')
    t = time.perf_counter(); [detector(f, 1) for f in frames[:16]]; dt = time.perf_counter() - t
    print(f'dlib detection:       {dt / 16 * 1e3:7.1f} ms/frame (upsample 1)')
    t = time.perf_counter(); [predictor(f, r[0]) for f, r in zip(frames, rects) if r]; dt = time.perf_counter() - t
    print(f'68 landmarks:         {dt / T * 1e3:7.1f} ms/frame')
    t = time.perf_counter(); faces = [detect_faces(f, upsample=0) for f in frames]; dt = time.perf_counter() - t
    print(f'detect_faces:         {dt / T * 1e3:7.1f} ms/frame (detection + landmarks + conversions)')

    lms = np.stack([f[0].landmarks for f in faces if f])
    box = crop_box(lms)
    t = time.perf_counter(); crops = crop_frames(frames, box, a.size); dt = time.perf_counter() - t
    print(f'crop + resize:        {dt / T * 1e3:7.1f} ms/frame ({T / dt:.0f} crops/s, box side {box[2] - box[0]:.0f} px -> {a.size} px)')

    with tempfile.TemporaryDirectory() as d:
        t = time.perf_counter(); c = crop_clip(clip, size=a.size, max_frames=a.frames, cache=d); dt = time.perf_counter() - t
        print(f'crop_clip end to end: {dt / len(c) * 1e3:7.1f} ms/frame ({len(c) / dt:.1f} crops/s at {a.size} px, '
              f'decode + detect + landmarks + crop + PNG write)')
        t = time.perf_counter(); imgs = [c.image(i) for i in range(len(c))]; dt = time.perf_counter() - t
        print(f'reading cached crops: {dt / len(c) * 1e3:7.1f} ms/frame ({len(c) / dt:.0f} crops/s)')


if __name__ == '__main__': main()
