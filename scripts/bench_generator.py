"""Parameters and per-component inference time of the generator, in the form of the paper's Table 5 (appendix B).

    python scripts/bench_generator.py                      # tiny and paper settings, batch 1, CPU
    python scripts/bench_generator.py --configs tiny --repeats 20 --threads 1
    python scripts/bench_generator.py --variants           # also the Baseline and GCNs->CNNs ablations

The paper reports (256 px, one RTX 2080 Ti, PyTorch 1.0.1, mean of 100 runs): mesh regression 64 ms, motion net
37 ms, occlusion net 10 ms, encoder 7 ms, decoder 12 ms. Mesh regression (the 3DMM regressor, `06b_regressor`) is not
part of the generator; "mesh construction" here is Eq. 1 + pose for both meshes at the motion net's level.
The decoder row includes resizing/masking the flow and warping the features. Timings on a shared machine are noisy:
the script reports the median of `--repeats` runs after `--warmup` runs.
"""
import argparse, statistics, time

import torch

from meshreenact.core import default_device, seed_everything
from meshreenact.morphable import load_bfm, Coeffs
from meshreenact.sampling import MeshHierarchy
from meshreenact.reenact import Generator, GeneratorConfig, masked_flow, resize_flow


def n_params(m) -> int: return sum(p.numel() for p in m.parameters()) if m is not None else 0


def timed(fn, repeats: int, warmup: int, sync) -> tuple:
    "Run fn warmup + repeats times; (median ms, the last result)."
    for _ in range(warmup): out = fn()
    sync(); ts = []
    for _ in range(repeats):
        t = time.perf_counter(); out = fn(); sync(); ts.append((time.perf_counter() - t) * 1e3)
    return statistics.median(ts), out


def bench(name: str, cfg: GeneratorConfig, model, hier, device, repeats: int, warmup: int, batch: int) -> list:
    seed_everything(0)
    g = Generator(cfg, model, hier).to(device).eval()
    sync = torch.cuda.synchronize if device.type == 'cuda' else (lambda: None)
    cs, cd = Coeffs.sample(batch, seed=1).to(device), Coeffs.sample(batch, seed=2).to(device)
    img = torch.rand(batch, 3, cfg.size, cfg.size, device=device)
    r = g.reenact
    rows = []
    with torch.no_grad():
        t_mesh, M = timed(lambda: g.meshes(cs, cd), repeats, warmup, sync)
        t_motion, flow = timed(lambda: g.motion(M), repeats, warmup, sync)
        t_menc, z = timed(lambda: g.motion.encoder(M), repeats, warmup, sync)
        t_mdec, _ = timed(lambda: g.motion.decoder(z), repeats, warmup, sync)
        t_enc, feat = timed(lambda: r.encode(img), repeats, warmup, sync)
        hw = tuple(feat.shape[-2:])
        t_occ, (o, m) = timed(lambda: r.occlude(img, flow, hw), repeats, warmup, sync)
        t_dec, _ = timed(lambda: r.decode(feat, masked_flow(resize_flow(flow, hw), m), o, (cfg.size, cfg.size)), repeats, warmup, sync)
        t_all, _ = timed(lambda: g(img, cs, cd), repeats, warmup, sync)
    p_occ = n_params(r.occlusion)
    p_dec = n_params(r.bottleneck) + n_params(r.ups) + n_params(r.final)
    rows = [('mesh construction', 0, t_mesh), ('motion net', n_params(g.motion), t_motion),
            (f"  {cfg.motion_encoder.upper()} encoder", n_params(g.motion.encoder), t_menc),
            ('  flow decoder', n_params(g.motion.decoder), t_mdec),
            ('occlusion net', p_occ, t_occ if r.occlusion is not None else None),
            ('encoder', n_params(r.encoder), t_enc), ('decoder', p_dec, t_dec), ('total (one forward)', n_params(g), t_all)]
    print(f"\n{name}: {cfg.size} px, motion net on level {cfg.level} ({g.n_vertices:,} vertices), "
          f"encoder '{cfg.motion_encoder}', occlusion {'on' if cfg.occlusion else 'off'}; batch {batch}, {device}, "
          f"{torch.get_num_threads()} thread(s), median of {repeats}")
    print(f"  {'component':24s} {'parameters':>12s} {'time (ms)':>11s}")
    for comp, p, t in rows:
        print(f"  {comp:24s} {p:12,d} {('%11.1f' % t) if t is not None else '%11s' % '-'}")
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--configs', nargs='+', default=['tiny', 'paper'], choices=['tiny', 'paper'])
    ap.add_argument('--variants', action='store_true', help='also the Baseline (no occlusion net) and GCNs->CNNs variants')
    ap.add_argument('--repeats', type=int, default=5)
    ap.add_argument('--warmup', type=int, default=1)
    ap.add_argument('--batch', type=int, default=1)
    ap.add_argument('--threads', type=int, default=1, help='torch threads (default 1: on a shared 2-core machine more threads are slower and noisier; 0 = torch\'s choice)')
    ap.add_argument('--device', default=None, help="'cpu' or 'cuda' (default: CUDA when available)")
    a = ap.parse_args(argv)
    if a.threads: torch.set_num_threads(a.threads)
    device = torch.device(a.device) if a.device else default_device()
    model = load_bfm(verbose=False)
    hier = MeshHierarchy.build(model.mean, model.triangles)
    print("paper, Table 5 (256 px, RTX 2080 Ti): mesh regression 64 ms | motion net 37 | occlusion net 10 | encoder 7 | decoder 12")
    for c in a.configs:
        base = getattr(GeneratorConfig, c)()
        bench(c, base, model, hier, device, a.repeats, a.warmup, a.batch)
        if a.variants:
            bench(f'{c}, Baseline', getattr(GeneratorConfig, c)(occlusion=False), model, hier, device, a.repeats, a.warmup, a.batch)
            bench(f'{c}, GCNs->CNNs', getattr(GeneratorConfig, c)(motion_encoder='cnn'), model, hier, device, a.repeats, a.warmup, a.batch)


if __name__ == '__main__':
    main()
