#!/usr/bin/env python
"""Fine-tune the CNN coefficient regressor (notebook 06b_regressor) on real faces, with landmark fits as pseudo-labels
(one identity per clip, landmarks smoothed in time), mixed with synthetic renders so that it keeps reading them.
Writes the new checkpoint atomically and its log beside it (OUT with the suffix .log); the committed
data_samples/regressor64.pt is never touched unless it is named as --out.

The sample media are split once (the split is explained in notebook 06b_regressor):
  training   WolfgangLanger_Pexels.mp4 frames 120-471, the photos of evaluate.TUNE, synthetic 'train' identities
  held out   WolfgangLanger_Pexels.mp4 frames 0-119, single_face.mp4, the other photos of evaluate.REAL_PHOTOS,
             synthetic 'test' identities
Errors are measured against the landmark fit (yaw / pitch / roll in degrees, expression MAE in standard deviations),
before and after.

    python scripts/finetune_regressor.py --out /tmp/regress/regressor64_real.pt             # ~7 min on 2 busy cores (--steps 500)
    python scripts/finetune_regressor.py --out /tmp/r.pt --steps 3 --step 64 --n-synthetic 16 --n-synthetic-test 16  # smoke test
"""
import argparse, json, sys, time
from pathlib import Path

import torch

TRAIN_CLIP, TRAIN_FRAMES, HELD_FRAMES = 'WolfgangLanger_Pexels.mp4', (120, 472), (0, 120)
HELD_CLIP = 'single_face.mp4'
COLS = ('yaw_deg', 'pitch_deg', 'roll_deg', 'exp_mae', 'landmark_px')


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--out', required=True, help='the new checkpoint (its log is written beside it)')
    p.add_argument('--base', default=None, help='the regressor to start from (default: data_samples/regressor64.pt)')
    p.add_argument('--steps', type=int, default=1500)
    p.add_argument('--minutes', type=float, default=None, help='stop training after this many minutes')
    p.add_argument('--batch-size', type=int, default=64)
    p.add_argument('--lr', type=float, default=5e-4)
    p.add_argument('--real-fraction', type=float, default=0.5, help='expected share of real crops in a batch')
    p.add_argument('--geometric', type=float, default=1.0, help='strength of the similarity jitter (0: none)')
    p.add_argument('--smooth', type=float, default=1.0, help='landmark smoothing along time, Gaussian std in video frames')
    p.add_argument('--step', type=int, default=1, help='use every step-th frame of the clips')
    p.add_argument('--n-synthetic', type=int, default=1024, help='synthetic training renders mixed in (rendered once, cached)')
    p.add_argument('--n-synthetic-test', type=int, default=256, help='synthetic held-out renders')
    p.add_argument('--cache', default=None, help='folder for the rendered synthetic sets (default: the cache folder)')
    p.add_argument('--real-cache', default=None, help='keep the cropped and fitted real sets in this file (reruns skip detection)')
    p.add_argument('--seed', type=int, default=0)
    args = p.parse_args(argv)

    from meshreenact.core import atomic_write
    from meshreenact.morphable import load_bfm
    from meshreenact.assets import sample_media
    from meshreenact.evaluate import TUNE, REAL_PHOTOS
    from meshreenact.regress import (load_regressor, save_regressor, synthetic_regression_set, clip_pseudo_labels,
                                     photo_pseudo_labels, finetune_regressor, evaluate_regressor)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    lines = []
    def log(msg):
        print(msg, flush=True); lines.append(msg)

    t0 = time.time()
    log(f"finetune_regressor {json.dumps(vars(args))}  torch {torch.__version__}")
    model, media = load_bfm(verbose=False), sample_media(verbose=False)
    base = load_regressor(args.base)
    cache = 'default' if args.cache is None else args.cache
    held_photos = [n for n in REAL_PHOTOS if n not in TUNE['photos']]
    def real_sets():
        kw = dict(step=args.step, smooth=args.smooth, size=base.size)
        return dict(train_clip=clip_pseudo_labels(model, media[TRAIN_CLIP], *TRAIN_FRAMES, **kw),
                    train_photos=photo_pseudo_labels(model, [media[n] for n in TUNE['photos']], size=base.size),
                    held={f'{TRAIN_CLIP} {HELD_FRAMES[0]}-{HELD_FRAMES[1] - 1}': clip_pseudo_labels(model, media[TRAIN_CLIP], *HELD_FRAMES, **kw),
                          HELD_CLIP: clip_pseudo_labels(model, media[HELD_CLIP], **kw),
                          'held-out photos': photo_pseudo_labels(model, [media[n] for n in held_photos], size=base.size)})
    key = dict(step=args.step, smooth=args.smooth, size=base.size)
    rc = Path(args.real_cache) if args.real_cache else None
    sets = torch.load(rc, weights_only=False) if rc and rc.is_file() else None   # our own file, written below
    if sets is None or sets.get('key') != key:
        sets = dict(real_sets(), key=key)
        if rc:
            with atomic_write(rc) as f: torch.save(sets, f)
    train_clip, train_photos, held = sets['train_clip'], sets['train_photos'], sets['held']
    syn_x, syn_y = synthetic_regression_set('train', args.n_synthetic, base.size, args.seed, cache=cache)
    held['synthetic held-out'] = dict(zip(('images', 'targets'), synthetic_regression_set('test', args.n_synthetic_test, base.size, args.seed, cache=cache)))
    log(f"training: {len(train_clip['images'])} frames of {TRAIN_CLIP} ({TRAIN_FRAMES[0]}-{TRAIN_FRAMES[1] - 1}, step {args.step}, "
        f"fit residual {train_clip['residual_px'].mean():.2f} px), photos {list(TUNE['photos'])}, {len(syn_x)} synthetic renders")
    log("held out: " + ', '.join(f"{k} ({len(v['images'])})" for k, v in held.items()) + f"; photos {held_photos}")
    log(f"data ready in {time.time() - t0:.0f} s")

    real_x = torch.cat([train_clip['images'], train_photos['images']])
    real_y = torch.cat([train_clip['targets'], train_photos['targets']])
    t1 = time.time()
    net, hist = finetune_regressor(base, model, real_x, real_y, syn_x, syn_y, real_fraction=args.real_fraction,
                                   steps=args.steps, lr=args.lr, batch_size=args.batch_size, seed=args.seed,
                                   geometric=args.geometric, log=log, log_every=100,
                                   time_limit=None if args.minutes is None else 60 * args.minutes)
    t_train = time.time() - t1
    results = {}
    for name, h in held.items():
        before = evaluate_regressor(base, model, h['images'], h['targets'])['net']
        after = evaluate_regressor(net, model, h['images'], h['targets'])['net']
        results[name] = dict(before=before, after=after)
        log(f"{name:32s} " + '  '.join(f"{c} {before[c]:6.2f} -> {after[c]:6.2f}" for c in COLS))
    deg = lambda names, when: sum(results[n][when][c] for n in names for c in COLS[:3]) / (3 * len(names))
    real = [n for n in results if n != 'synthetic held-out']
    summary = {when: dict(real_deg=deg(real, when), synthetic_deg=deg(['synthetic held-out'], when),
                          real_exp_mae=sum(results[n][when]['exp_mae'] for n in real) / len(real)) for when in ('before', 'after')}
    log("mean |yaw, pitch, roll| error on the held-out real faces {:.2f} -> {:.2f} deg, on held-out renders {:.2f} -> {:.2f} deg; "
        "expression MAE on the real faces {:.3f} -> {:.3f}".format(summary['before']['real_deg'], summary['after']['real_deg'],
        summary['before']['synthetic_deg'], summary['after']['synthetic_deg'], summary['before']['real_exp_mae'], summary['after']['real_exp_mae']))
    info = dict(summary=summary, base_info={k: v for k, v in getattr(base, 'info', {}).items() if k in ('steps', 'n_train', 'train_seconds')},
                finetune=dict(vars(args), steps_run=len(hist), train_seconds=round(t_train, 1), n_real=len(real_x),
                              n_synthetic=len(syn_x), final_loss=hist[-1]['loss']),
                held_out=results)
    save_regressor(net, out, info)                        # atomic (checkpoint.save_checkpoint)
    load_regressor(out)                                   # it must load with weights_only=True
    log(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB); training {t_train:.0f} s, total {time.time() - t0:.0f} s")
    with atomic_write(out.with_suffix('.log')) as f: f.write(('\n'.join(lines) + '\n').encode())
    return 0


if __name__ == '__main__':
    sys.exit(main())
