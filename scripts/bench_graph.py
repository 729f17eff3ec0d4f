"""Benchmark for issue 3: the CoMA mesh hierarchy build and ChebConv forward+backward on the BFM face mesh.

Prints
- the time to build the 4-level hierarchy (factors 4, 4, 4, 4) from scratch (a fresh temporary cache), per stage;
- ChebConv (ours) vs torch_geometric.nn.ChebConv, batch 8, 64 -> 64 channels, K = 3, forward + backward,
  best of a few runs, and the ratio (the issue's target: ours <= 1/3 of torch_geometric's time).
A pure-Python loop is timed too, so that figures taken on a busy shared machine can be read against its load.

Usage: python scripts/bench_graph.py [--repeats 3] [--threads N] [--blas-threads N]
--blas-threads sets OPENBLAS_NUM_THREADS before numpy loads: on an oversubscribed machine (other jobs on the same
2 cores) threaded OpenBLAS spin-waits and scipy's ARPACK (lambda_max) runs several times slower than with 1 thread.
"""
import argparse, os, sys, tempfile, time

if '--blas-threads' in sys.argv:                             # must happen before numpy/scipy are imported
    os.environ['OPENBLAS_NUM_THREADS'] = sys.argv[sys.argv.index('--blas-threads') + 1]

import numpy as np
import torch


def python_speed():
    t = time.perf_counter(); s = 0
    for i in range(10_000_000): s += i
    return time.perf_counter() - t


def best_of(fn, repeats):
    fn()                                                     # warm-up
    ts = []
    for _ in range(repeats):
        t = time.perf_counter(); fn(); ts.append(time.perf_counter() - t)
    return min(ts), float(np.median(ts))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--repeats', type=int, default=3)
    ap.add_argument('--threads', type=int, default=None, help='torch threads')
    ap.add_argument('--blas-threads', type=int, default=None, help='OpenBLAS threads (numpy/scipy)')
    args = ap.parse_args()
    if args.threads: torch.set_num_threads(args.threads)

    from meshreenact.morphable import load_bfm
    from meshreenact import sampling
    from meshreenact.graph import ChebConv, adjacency_matrix, normalized_laplacian, lambda_max, scaled_laplacian

    bfm = load_bfm()
    v, f = bfm.mean.double().numpy(), bfm.triangles.numpy().astype(np.int64)
    print(f"BFM mesh: {len(v)} vertices, {len(f)} triangles; torch {torch.__version__}, "
          f"{torch.get_num_threads()} torch threads, OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    print(f"machine speed: 10M-iteration Python loop {python_speed():.2f} s")

    # --- hierarchy build (from scratch, in a throw-away cache) ---
    stages = {}
    def timed(name, fn):
        def g(*a, **k):
            t = time.perf_counter(); r = fn(*a, **k); stages[name] = stages.get(name, 0) + time.perf_counter() - t
            return r
        return g
    orig = sampling.decimate, sampling.upsampling_matrix, sampling.lambda_max
    sampling.decimate, sampling.upsampling_matrix, sampling.lambda_max = (
        timed('decimation', orig[0]), timed('up-sampling U', orig[1]), timed('lambda_max', orig[2]))
    with tempfile.TemporaryDirectory() as tmp:
        os.environ['MESHREENACT_CACHE'] = tmp
        t0 = time.perf_counter()
        h = sampling.MeshHierarchy.build(v, f, factors=(4, 4, 4, 4))
        build = time.perf_counter() - t0
        t0 = time.perf_counter(); sampling.MeshHierarchy.build(v, f, factors=(4, 4, 4, 4)); cached = time.perf_counter() - t0
    sampling.decimate, sampling.upsampling_matrix, sampling.lambda_max = orig
    print(f"hierarchy {h.sizes}: built in {build:.2f} s (target <= 15 s): "
          + ", ".join(f"{k} {s:.2f} s" for k, s in stages.items()) + f"; read from cache in {cached:.3f} s")

    # --- ChebConv, batch 8, 64 -> 64, K = 3, forward + backward ---
    from torch_geometric.nn import ChebConv as PygChebConv
    B, C, K = 8, 64, 3
    A = adjacency_matrix(f, len(v)); L = normalized_laplacian(A); lm = lambda_max(L)
    ours = ChebConv(C, C, K, scaled_laplacian(L, lm))
    ref = PygChebConv(C, C, K, normalization='sym')
    with torch.no_grad():
        for k, lin in enumerate(ref.lins): lin.weight.copy_(ours.weight[k].t())
        ref.bias.copy_(ours.bias)
    edge_index = torch.from_numpy(np.stack(A.nonzero())).long()
    x = torch.randn(B, len(v), C, generator=torch.Generator().manual_seed(0), requires_grad=True)
    g = torch.randn(B, len(v), C, generator=torch.Generator().manual_seed(1))

    def run_ours():
        ours.zero_grad(); x.grad = None
        ours(x).backward(g)
    def run_pyg():                      # PyG's ChebConv takes (B, N, C) features directly (node_dim = -2)
        ref.zero_grad(); x.grad = None
        ref(x, edge_index, lambda_max=lm).backward(g)

    with torch.no_grad():
        err = (ours(x) - ref(x, edge_index, lambda_max=lm)).abs().max().item()
    t_ours, m_ours = best_of(run_ours, args.repeats)
    t_pyg, m_pyg = best_of(run_pyg, args.repeats)
    print(f"ChebConv B={B}, {C}->{C}, K={K}, forward+backward (best of {args.repeats}; median in brackets): "
          f"ours {t_ours:.3f} s ({m_ours:.3f}), torch_geometric {t_pyg:.3f} s ({m_pyg:.3f}), "
          f"ratio ours/pyg = {t_ours / t_pyg:.3f} (target <= 0.333); max |difference| {err:.1e}")


if __name__ == '__main__':
    main()
