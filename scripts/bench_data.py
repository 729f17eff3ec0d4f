"""Benchmark of the synthetic talking-head generator (meshreenact.synthetic) on this machine: prints figures, asserts nothing.

For 64 and 128 px: samples/s and rendered frames/s (a sample renders 4 frames: source, driving, cross-identity driver,
cross-identity target; the mesh flow and masks come with them), in one process with 1 and 2 torch threads, and through
a DataLoader with 2 worker processes (one thread each: "2 cores"). Then the flow-warp error: the source re-rendered with
a pose-independent (ambient) light, warped by the ground-truth mesh flow, compared with the driving render.
Usage: python scripts/bench_data.py [--samples N] [--batch B] [--errors K]
"""
import argparse, os, time

import torch

from meshreenact.synthetic import SyntheticHeads, HeadRenderer, flow_warp_error

FRAMES_PER_SAMPLE = 4


def rate(fn, n_samples, repeats=2):
    "Best-of-`repeats` samples per wall-clock second and per CPU second of this process, for `fn()` making `n_samples`."
    wall = cpu = float('inf')
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time(); fn()
        wall = min(wall, time.perf_counter() - t); cpu = min(cpu, time.process_time() - c)
    return n_samples / wall, n_samples / cpu


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--samples', type=int, default=64, help='samples per timing')
    ap.add_argument('--batch', type=int, default=16, help='samples rendered per batch')
    ap.add_argument('--errors', type=int, default=32, help='samples for the flow-warp error')
    a = ap.parse_args()
    print(f'{os.cpu_count()} CPUs, load average {" ".join(f"{x:.1f}" for x in os.getloadavg())}')
    renderer = HeadRenderer.from_bfm()                                  # load the BFM once, outside the timings
    print(f'mesh: {renderer.n_face} vertices, {renderer.t_face} triangles (+ head/neck/torso proxies)')
    print('wall-clock rates depend on what else runs on the machine; "frames/CPU-s" is frames per second of CPU time used')
    print(f'{"size":>5} {"setup":<28} {"samples/s":>10} {"frames/s":>9} {"frames/CPU-s":>13}')
    for size in (64, 128):
        ds = SyntheticHeads('train', size, length=10 ** 6, renderer=renderer)
        batches = [list(range(i, i + a.batch)) for i in range(0, a.samples, a.batch)]
        ds.__getitems__(batches[0])                                      # warm up (allocator, paint cache of these ids)
        for threads in (1, 2):
            torch.set_num_threads(threads)
            off = [0]
            def run():                                                   # fresh indices each time: nothing cached
                off[0] += a.samples
                for b in batches: ds.__getitems__([i + off[0] for i in b])
            r, rc = rate(run, a.samples)
            print(f'{size:>5} {f"1 process, {threads} thread(s)":<28} {r:>10.1f} {r * FRAMES_PER_SAMPLE:>9.1f} {rc * FRAMES_PER_SAMPLE:>13.1f}')
        torch.set_num_threads(1)
        dl = torch.utils.data.DataLoader(ds, batch_size=a.batch, num_workers=2, sampler=range(10 ** 5, 10 ** 5 + 4 * a.samples),
                                         persistent_workers=True, prefetch_factor=2)
        it = iter(dl); next(it)                                          # start the workers
        t = time.perf_counter(); n = 0
        for b in it: n += len(b['source'])
        r = n / (time.perf_counter() - t)
        print(f'{size:>5} {"DataLoader, 2 workers x 1":<28} {r:>10.1f} {r * FRAMES_PER_SAMPLE:>9.1f}')
        del it, dl
    torch.set_num_threads(2)
    for size in (64, 128):
        ds = SyntheticHeads('test', size, length=10 ** 6, renderer=renderer)
        e = flow_warp_error(ds, range(a.errors))
        print(f'flow-warp error, {size} px, {a.errors} held-out samples (mean |difference|, images in [0, 1]): '
              f'face mask {e["covered"]:.4f}, visible in source {e["visible"]:.4f}, visible & off the silhouette {e["inner"]:.4f}')


if __name__ == '__main__':
    main()
