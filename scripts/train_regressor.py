#!/usr/bin/env python
"""Train the CNN coefficient regressor of notebook 06b_regressor on synthetic renders (synthetic.SyntheticHeads) and
write the checkpoint and its training log (default: data_samples/regressor64.pt and data_samples/regressor64.log).

    python scripts/train_regressor.py                    # the committed checkpoint: ~15 min on 2 CPU cores
    python scripts/train_regressor.py --steps 20 --n-train 256 --n-test 64 --out /tmp/r.pt   # a smoke test
"""
import argparse, json, sys, time
from pathlib import Path

import torch


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--out', default=None, help='checkpoint path (default: data_samples/regressor64.pt)')
    p.add_argument('--n-train', type=int, default=8000, help='training images (rendered once, cached)')
    p.add_argument('--n-test', type=int, default=600, help='held-out images (identities never seen in training)')
    p.add_argument('--size', type=int, default=64, help='crop side in pixels (64, 128 or 256)')
    p.add_argument('--steps', type=int, default=5000)
    p.add_argument('--batch-size', type=int, default=64)
    p.add_argument('--lr', type=float, default=3e-3)
    p.add_argument('--minutes', type=float, default=None, help='stop training after this many minutes')
    p.add_argument('--threads', type=int, default=None, help='torch threads for training (default: torch default)')
    p.add_argument('--seed', type=int, default=0)
    args = p.parse_args(argv)

    from meshreenact.morphable import load_bfm
    from meshreenact.regress import (synthetic_regression_set, train_regressor, evaluate_regressor, save_regressor,
                                     default_regressor_path, load_regressor)
    out = Path(args.out) if args.out else default_regressor_path()
    out.parent.mkdir(parents=True, exist_ok=True)
    log_path = out.with_suffix('.log')
    log_file = open(log_path, 'w')
    def log(msg):
        print(msg, flush=True); log_file.write(msg + '\n'); log_file.flush()

    t0 = time.time()
    log(f"train_regressor {json.dumps(vars(args))}  torch {torch.__version__}, {torch.get_num_threads()} threads")
    model = load_bfm(verbose=False)
    tr_x, tr_y = synthetic_regression_set('train', args.n_train, args.size, args.seed, log=log)
    te_x, te_y = synthetic_regression_set('test', args.n_test, args.size, args.seed, log=log)
    t_data = time.time() - t0
    log(f"data: {len(tr_x)} training and {len(te_x)} held-out images of {args.size} px ({t_data:.0f} s, cached after the first run)")
    if args.threads: torch.set_num_threads(args.threads)
    t1 = time.time()
    net, hist = train_regressor(model, tr_x, tr_y, steps=args.steps, batch_size=args.batch_size, lr=args.lr, seed=args.seed,
                                time_limit=None if args.minutes is None else 60 * args.minutes, log=log)
    t_train = time.time() - t1
    res = evaluate_regressor(net, model, te_x, te_y)
    train_res = evaluate_regressor(net, model, tr_x[:len(te_x)], tr_y[:len(te_x)])
    for name, r in (('held-out net', res['net']), ('held-out mean', res['mean']), ('training net', train_res['net'])):
        log(f"{name:14s} " + '  '.join(f"{k} {v:.3f}" for k, v in r.items()))
    info = dict(steps=len(hist), train_seconds=round(t_train, 1), data_seconds=round(t_data, 1), n_train=len(tr_x),
                n_test=len(te_x), seed=args.seed, batch_size=args.batch_size, lr=args.lr,
                final_loss=hist[-1]['loss'], held_out=res['net'], mean_baseline=res['mean'], training=train_res['net'])
    save_regressor(net, out, info)
    load_regressor(out)                                  # it must load with weights_only=True
    log(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB) and {log_path}; training {t_train:.0f} s, total {time.time() - t0:.0f} s")
    return 0


if __name__ == '__main__':
    sys.exit(main())
