"""The levers of the real-faces issue, one training run each, by one recipe (TrainConfig.real: 64 px, batch 8,
reconstruction only, lr 2e-4), so that each can be measured alone and in combination with `meshreenact evaluate`.

    python scripts/real_levers.py --lever prior+pixel --data mixed --steps 1500 --snapshot 500 --out /tmp/levers

writes OUT/LEVER-DATA.pt (the generator alone, at the end) and OUT/LEVER-DATA-sN.pt (at step N, for equal-budget
comparisons), with the training folder OUT/LEVER-DATA/ (metrics.jsonl, samples) beside them. One torch thread per run:
on a shared 2-core machine two runs side by side are faster than one run with two threads.
"""
import argparse, json, os, time
from pathlib import Path

import torch

from meshreenact.checkpoint import GENERATOR_FORMAT, save_checkpoint
from meshreenact.train import TrainConfig, train, make_generator, architecture

LEVERS = {                                      # GeneratorConfig switches (beyond the paper) of each lever
    'paper': {},                                # the paper's generator, trained on the same data
    'prior': {'mesh_prior': True},              # T* = the meshes' extended flow + the decoder's correction
    'pixel': {'pixel_path': True},              # Î_d = A warp(I_s, T*) + (1 - A) decoded
    'prior+pixel': {'mesh_prior': True, 'pixel_path': True},
    'prior+pixel+rel': {'mesh_prior': True, 'pixel_path': True, 'relative_correction': True},   # Δ = D(M_s, M_d) - D(M_s, M_s)
    'prior+pixel+rel+off': {'mesh_prior': True, 'pixel_path': True, 'relative_correction': True, 'off_face_correction': True},   # and Δ off the face only
    'prior+pixel+rel+off+wof': {'mesh_prior': True, 'pixel_path': True, 'relative_correction': True, 'off_face_correction': True,
                                'warp_on_face': True},   # and the warped source itself on the face (A >= C̄)
}

def export(G, cfg: TrainConfig, step: int, path: Path) -> Path:
    "The generator alone, in the format of data_samples/generator64.pt."
    return save_checkpoint(path, {'format': GENERATOR_FORMAT, 'step': step, 'config': cfg.to_dict(),
                                  'architecture': architecture(G), 'model': G.state_dict()})

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--lever', choices=sorted(LEVERS), required=True)
    p.add_argument('--data', choices=('mixed', 'synthetic', 'textured'), default='mixed')
    p.add_argument('--steps', type=int, default=1500)
    p.add_argument('--snapshot', type=int, default=None, help='also export the generator at this step')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--size', type=int, default=64, help='image side (the Resolution lever: 128)')
    p.add_argument('--real-fraction', type=float, default=None, help="share of real pairs in data='mixed' (default: the real preset's)")
    p.add_argument('--blend', type=float, default=None, help="λ_A, the pull of the pixel path's blend towards the warp (default: the real preset's)")
    p.add_argument('--correction', type=float, default=None, help="λ_Δ, the pull of the mesh prior's correction towards 0 (default: the real preset's, 0)")
    p.add_argument('--textured-mouth', type=float, default=0.0, help="data='textured': darken the mouth's inside by this much (textured.TexturedHeads' mouth)")
    p.add_argument('--tag', default='', help='appended to the run name')
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--out', default='runs/levers')
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    if a.textured_mouth:                        # an experiment's switch: the datasets train builds get it
        import functools, meshreenact.train as T
        T.TexturedHeads = functools.partial(T.TexturedHeads, mouth=a.textured_mouth)
    name = f'{a.lever}-{a.data}' + (f'-seed{a.seed}' if a.seed else '') + (f'-{a.size}px' if a.size != 64 else '') + a.tag
    extra = {k: v for k, v in (('real_fraction', a.real_fraction),) if v is not None}
    weights = {k: v for k, v in (('blend', a.blend), ('correction', a.correction)) if v is not None}
    if weights: extra['weights'] = {**TrainConfig.real().weights, **weights}
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    arch = {**LEVERS[a.lever], **({'size': a.size} if a.size != 64 else {})}
    cfg = TrainConfig.real(name=name, architecture=arch, size=a.size, steps=a.steps, warmup=a.steps, seed=a.seed, workers=0,
                           eval_every=max(a.steps // 3, 1), sample_every=max(a.steps // 3, 1), checkpoint_every=250, **extra)
    G = make_generator(cfg)
    def snapshot(step, logs):
        if a.snapshot and step == a.snapshot: export(G, cfg, step, out / f'{name}-s{step}.pt')
    t0 = time.time()
    res = train(cfg, a.data, out / name, resume=True, generator=G, callback=snapshot, progress=False)
    seconds = time.time() - t0
    export(G, cfg, res.step, out / f'{name}.pt')
    print(json.dumps({'run': name, 'steps': res.step, 'seconds': round(seconds, 1), 'threads': a.threads, **res.metrics}))

if __name__ == '__main__':
    main()
