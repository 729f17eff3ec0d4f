#!/usr/bin/env python
"""Figures of notebooks 06a_fit and 06b_regressor, printed: (1) landmark fitting on synthetic landmarks with known coefficients
(pose error, residual, time), (2) landmark fitting on real photos and clip frames (residual, time), (3) the CNN
regressor's held-out errors on synthetic renders of unseen identities, against the predict-the-mean baseline, and its
pose against the landmark fit's on the real photos.

    python scripts/eval_regressor.py                       # all three
    python scripts/eval_regressor.py --no-cnn              # fitting only (no checkpoint needed)
"""
import argparse, math, statistics, sys, time, warnings

import numpy as np
import torch


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--checkpoint', default=None, help='regressor checkpoint (default: data_samples/regressor64.pt)')
    p.add_argument('--n-test', type=int, default=600, help='held-out synthetic images for the CNN')
    p.add_argument('--no-fit', action='store_true', help='skip the landmark-fitting figures')
    p.add_argument('--no-cnn', action='store_true', help='skip the CNN figures')
    p.add_argument('--repeats', type=int, default=20, help='timing repeats for one photo')
    args = p.parse_args(argv)

    from meshreenact.core import normalized_to_pixel
    from meshreenact.morphable import load_bfm, Coeffs, to_pixels
    from meshreenact.fit import fit_landmarks, fit_photo, pose_angles, POSE_ANGLES
    from meshreenact.regress import load_regressor, evaluate_regressor, synthetic_regression_set
    from meshreenact.assets import sample_media
    from meshreenact.video import crop_clip
    model = load_bfm(verbose=False)
    deg = lambda c: pose_angles(c.pose) * 180 / math.pi
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    fits = {}
    if not args.no_fit:
        print("\n== landmark fitting, synthetic landmarks (256 px crop, Coeffs.sample faces, Gaussian noise) ==")
        truth = Coeffs.sample(200, seed=1)
        clean = to_pixels(model.landmarks(truth), 256, 256)
        for noise in (0.0, 1.0, 2.0):
            noisy = clean + noise * torch.randn(clean.shape, generator=torch.Generator().manual_seed(2))
            f = fit_landmarks(model, noisy, 256)
            e = (deg(f.coeffs) - deg(truth)).abs()
            to_true = (to_pixels(model.landmarks(f.coeffs), 256, 256) - clean).norm(dim=-1).mean()
            print(f"noise {noise:.0f} px: pose error mean {e.mean(0).numpy().round(2)} max {e.max(0).values.numpy().round(2)} deg "
                  f"(yaw, pitch, roll); residual {f.residual_px.mean():.2f} px; to true landmarks {to_true:.2f} px; "
                  f"id MAE {(f.coeffs.id - truth.id).abs().mean():.2f}, exp MAE {(f.coeffs.exp - truth.exp).abs().mean():.2f} std; "
                  f"{len(f.energy) - 1} iterations, {1000 * f.seconds:.0f} ms for 200 faces")
        one = clean[:1] + torch.randn(1, 68, 2, generator=torch.Generator().manual_seed(3))
        t = [fit_landmarks(model, one, 256).seconds for _ in range(args.repeats)]
        print(f"one photo: median {1000 * statistics.median(t):.1f} ms, min {1000 * min(t):.1f} ms, max {1000 * max(t):.1f} ms over {args.repeats} fits")

        print("\n== landmark fitting, dlib on synthetic renders (256 px, held-out identities, true coefficients known) ==")
        from meshreenact.synthetic import SyntheticHeads
        from meshreenact.video import detect_faces
        from meshreenact.core import single_threaded
        with single_threaded():
            syn = SyntheticHeads('test', size=256, length=12, cross=False).__getitems__(list(range(12)))
        imgs = [s[k] for k in ('source', 'driving') for s in syn]
        tv = Coeffs.from_vector(torch.stack([s[k + '_coeffs'] for k in ('source', 'driving') for s in syn]))
        found = [(k, detect_faces(im, f'render {k}')) for k, im in enumerate(imgs)]
        found = [(k, torch.from_numpy(f[0].landmarks)) for k, f in found if f]
        idx = [k for k, _ in found]; lm = torch.stack([l for _, l in found])
        f = fit_landmarks(model, lm, 256)
        true_lm = to_pixels(model.landmarks(tv[idx]), 256, 256)
        e = (deg(f.coeffs) - deg(tv[idx])).abs()
        print(f"dlib found {len(idx)} of {len(imgs)} faces; dlib vs true landmark vertices {(lm - true_lm).norm(dim=-1).mean():.2f} px; "
              f"pose error mean {e.mean(0).numpy().round(2)} max {e.max(0).values.numpy().round(2)} deg; residual {f.residual_px.mean():.2f} px; "
              f"fitted vs true landmarks {(to_pixels(model.landmarks(f.coeffs), 256, 256) - true_lm).norm(dim=-1).mean():.2f} px")

        print("\n== landmark fitting, real photos (dlib landmarks, 256 px crop) ==")
        media = sample_media(verbose=False)
        for name in ['astronaut.png', 'single_face.jpg', 'multi_face.jpg', '0-f1-su-ph.jpg', '0-f15-hao-ph.jpg', '15-f13-anc-ph.jpg', '45-m7-di-ph.jpg']:
            with warnings.catch_warnings(record=True) as w:
                warnings.simplefilter('always')
                f = fit_photo(model, media[name], name=name)
            fits[name] = f
            a = deg(f.coeffs)[0].numpy().round(1)
            print(f"{name:18s} residual {f.residual_px:.2f} px  detect {1000 * f.seconds['detect']:.0f} ms  fit {1000 * f.seconds['fit']:.1f} ms  "
                  f"yaw/pitch/roll {a} deg" + (f"  [{w[0].message}]" if w else ''))
        for clip_name in ['WolfgangLanger_Pexels.mp4', 'single_face.mp4']:
            clip = crop_clip(media[clip_name], size=256, step=8, max_frames=40)
            lm = torch.from_numpy(clip.landmarks)
            shared, alone = fit_landmarks(model, lm[None], 256), fit_landmarks(model, lm, 256)
            print(f"{clip_name}: {len(clip)} frames, shared identity residual {shared.residual_px.mean():.2f} px "
                  f"(max frame {shared.residual_px.max():.2f}) in {1000 * shared.seconds:.0f} ms; independent frames "
                  f"{alone.residual_px.mean():.2f} px, identity spread {(alone.coeffs.id - alone.coeffs.id.mean(0)).norm(dim=1).mean():.2f} std")
    if not args.no_cnn:
        print("\n== CNN regressor, held-out synthetic identities ==")
        net = load_regressor(args.checkpoint)
        info = getattr(net, 'info', {})
        print(f"checkpoint: {sum(p.numel() for p in net.parameters()):,} parameters, {net.config}, "
              f"trained {info.get('steps')} steps in {info.get('train_seconds')} s on {info.get('n_train')} images")
        x, y = synthetic_regression_set('test', args.n_test, net.size)
        t0 = time.perf_counter(); res = evaluate_regressor(net, model, x, y); dt = time.perf_counter() - t0
        for k in ('net', 'mean'):
            print(f"{'CNN' if k == 'net' else 'mean baseline':14s} " + '  '.join(f"{n} {v:.3f}" for n, v in res[k].items()))
        print(f"({res['n']} images, {1000 * dt / res['n']:.2f} ms per image in batches)")
        from meshreenact.regress import r_squared, component_visibility
        with torch.no_grad(): pred = net(x.float() / 255)
        tc = Coeffs.from_vector(y)
        vis_id, vis_exp = component_visibility(model)
        print("expression R^2 per component:", r_squared(pred.exp, tc.exp).numpy().round(2), " px moved per std:", vis_exp.numpy().round(2))
        print("identity R^2, first 10:      ", r_squared(pred.id, tc.id)[:10].numpy().round(2), " px moved per std:", vis_id[:10].numpy().round(2))
        if fits:
            print("\n== CNN vs landmark fit on the real photos (pose difference, deg) ==")
            crops = torch.stack([f.crop for f in fits.values()])
            with torch.no_grad(): pred = net(crops)
            d = (deg(pred) - deg(Coeffs.cat([f.coeffs for f in fits.values()]))).abs()
            for name, row in zip(fits, d): print(f"{name:18s} yaw {row[0]:.1f}  pitch {row[1]:.1f}  roll {row[2]:.1f}")
    return 0


if __name__ == '__main__':
    sys.exit(main())
