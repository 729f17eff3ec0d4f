"""The training-free warp with and without the harmonic extension beyond the mesh, scored with §5's metrics
(CSIM, PRMSE, AUCON, PSNR/SSIM) on the real benchmarks of `meshreenact evaluate` (the sample media), same pairs.

    .venv/bin/python scripts/warp_extension_metrics.py [--pairs 32] [--seed 0]
"""
import argparse
import torch
from meshreenact.apps import mesh_warp
from meshreenact.evaluate import media_faces, real_pairs, run_systems, source_system
from meshreenact.morphable import load_bfm, Coeffs

def warp(model, extend):
    def system(sources, source_coeffs, drivers, driver_coeffs):
        return mesh_warp(model, sources, Coeffs.from_vector(source_coeffs), Coeffs.from_vector(driver_coeffs), extend=extend)[0]
    return system

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--pairs', type=int, default=32); ap.add_argument('--seed', type=int, default=0)
    a = ap.parse_args()
    torch.set_num_threads(1)
    model = load_bfm(verbose=False)
    benches = real_pairs(media_faces(model, 64), a.pairs, a.seed)
    res = run_systems({'source': source_system, 'warp, no extension': warp(model, None), 'warp, harmonic': warp(model, 'harmonic')},
                      benches, model, progress=False)
    for bench, rows in res['scores'].items():
        print(bench)
        for name, s in rows.items():
            print(f"  {name:20s} " + '  '.join(f"{k} {v:.3f}" for k, v in s.items() if isinstance(v, float) and k != 'ms_per_frame'))
