"""The mesh prior's harmonic extension: scipy's sparse factorization (the reference, CPU) against the torch
multigrid-preconditioned CG (`render.harmonic_extension_torch`), in one run, interleaved. Prints figures, asserts nothing.

For each size: a batch of B random source/driving coefficient pairs, the mesh flow at the generator's level 1 computed
once, then `extend_flow(..., solver='scipy')` and `extend_flow(...)` timed alternately (median of --reps), with the
largest difference between the two. With --device cuda the torch solver runs there (scipy on the CPU, with transfers).
Usage: python scripts/bench_prior.py [--batch 8] [--sizes 64 128] [--reps 5] [--threads 1] [--device cpu]
"""
import argparse, os, statistics, time

import torch

from meshreenact.morphable import Coeffs
from meshreenact.reenact import Generator, GeneratorConfig
from meshreenact.render import mesh_flow, extend_flow


def sync(device):
    if device.type == 'cuda': torch.cuda.synchronize()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--batch', type=int, default=8)
    ap.add_argument('--sizes', type=int, nargs='+', default=[64, 128])
    ap.add_argument('--reps', type=int, default=5)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--device', default='cpu')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    dev = torch.device(a.device)
    print(f'torch threads {torch.get_num_threads()}, device {dev}, batch {a.batch}; load average before: {os.getloadavg()}')
    g = Generator.from_bfm(GeneratorConfig.tiny(mesh_prior=True)).to(dev)
    for S in a.sizes:
        st = g.meshes(Coeffs.sample(a.batch, seed=1), Coeffs.sample(a.batch, seed=2))
        flow, mask = mesh_flow(st[..., :3], st[..., 3:], g.triangles, S)
        times = {'scipy': [], 'torch': []}
        for rep in range(a.reps + 1):                                # the first round warms up, not counted
            for solver in ('scipy', 'torch'):
                sync(dev); t = time.perf_counter()
                out = extend_flow(flow, mask, solver=solver)
                sync(dev); dt = time.perf_counter() - t
                if rep: times[solver].append(dt)
                if solver == 'scipy': ref = out
        gap = (out - ref).abs().max().item()
        ms = {k: 1e3 * statistics.median(v) for k, v in times.items()}
        print(f'{S} px, batch {a.batch}: scipy {ms["scipy"]:.1f} ms, torch {ms["torch"]:.1f} ms per batch '
              f'(median of {a.reps}); scipy / torch = {ms["scipy"] / ms["torch"]:.2f}; max |torch - scipy| {gap:.1e}')
    print(f'load average after: {os.getloadavg()}')


if __name__ == '__main__': main()
