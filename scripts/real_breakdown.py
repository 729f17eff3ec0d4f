"""Split the real benchmark of a `meshreenact evaluate` run (its results.json) by clip, and by held-out status:

    python scripts/real_breakdown.py results/evaluation/results.json

The real self-reenactment pairs come from two clips: frames 0-119 of WolfgangLanger_Pexels.mp4 (her later frames
are realdata.REAL_TRAIN, trained on by the `real` preset) and single_face.mp4 (never trained on: a held-out person).
The cross-identity pairs drive the photos (never trained on) by frames of either clip. Prints one markdown table per
benchmark kind: mean PSNR / SSIM / CSIM / PRMSE / AUCON per system and clip, pairs where every face was found.
"""
import json, math, sys
from collections import defaultdict

METRICS = ('psnr', 'ssim', 'csim', 'prmse', 'aucon')

def group_of(label: str) -> str:
    "The clip a pair's driver comes from."
    return 'single_face.mp4 (held-out person)' if 'single_face.mp4' in label else 'Wolfgang frames 0-119 (held-out frames)'

def summarise(pp: dict, idx: list) -> dict:
    "Means over the pairs idx where the output's and the references' faces were found (PRMSE pooled, as evaluate does)."
    ok = [i for i in idx if pp['found'][i] and pp['reference'][i]]
    out = {'pairs': len(idx), 'scored': len(ok)}
    for m in ('psnr', 'ssim', 'csim', 'aucon'):
        v = [pp[m][i] for i in ok if m in pp and pp[m][i] is not None]
        out[m] = sum(v) / len(v) if v else float('nan')
    e = [x for i in ok for x in pp['pose_error'][i] if x is not None]
    out['prmse'] = math.sqrt(sum(x * x for x in e) / len(e)) if e else float('nan')
    return out

def main(path: str):
    r = json.load(open(path))
    for bench in ('real/self', 'real/cross'):
        if bench not in r['per_pair']: continue
        labels = r['labels'][bench]
        groups = defaultdict(list)
        for i, lab in enumerate(labels): groups[group_of(lab)].append(i)
        print(f"\n**{bench}** (by the driver's clip)\n")
        print('| system | clip | pairs | ' + ' | '.join(METRICS) + ' |')
        print('|---|---|---:|' + '---:|' * len(METRICS))
        for name, pp in r['per_pair'][bench].items():
            for g, idx in sorted(groups.items()):
                s = summarise(pp, idx)
                cells = ['' if (m in ('psnr', 'ssim') and bench.endswith('cross')) or not math.isfinite(s[m]) else f'{s[m]:.3f}' if m != 'psnr' else f'{s[m]:.2f}' for m in METRICS]
                print(f"| {name} | {g} | {s['scored']}/{s['pairs']} | " + ' | '.join(cells) + ' |')

if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else 'results/evaluation/results.json')
