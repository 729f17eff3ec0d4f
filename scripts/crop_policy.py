"""Do the photo crops and the clip crops agree in scale and centring? (the real-faces issue's crop policy)

    python scripts/crop_policy.py

Fits the sample media's photos (regress.fit_photo's crop, one box per photo) and clips (video.crop_clip: one box for the
whole clip) as `meshreenact evaluate` does, and prints the fitted pose's scale s (|first row of sR|) and translation
(tx, ty) (normalized crop units) per source. With the absolute pose of the driver pasted onto a photo's identity
(identity exclusion), a difference in s or t moves and resizes the face in the output.
"""
import torch
from meshreenact.evaluate import media_faces
from meshreenact.morphable import load_bfm, Coeffs

def pose_stats(coeffs: torch.Tensor) -> tuple:
    p = Coeffs.from_vector(coeffs).pose
    s = p[:, :3].norm(dim=1)
    return s, p[:, 3], p[:, 7]

if __name__ == '__main__':
    torch.set_num_threads(1)
    f = media_faces(load_bfm(verbose=False), 64)
    print('| source | faces | scale s (mean ± sd) | tx | ty |\n|---|---:|---:|---:|---:|')
    for name, c in f['clips'].items():
        s, tx, ty = pose_stats(c['coeffs'])
        print(f'| {name} (clip) | {len(s)} | {s.mean():.4f} ± {s.std():.4f} | {tx.mean():+.3f} ± {tx.std():.3f} | {ty.mean():+.3f} ± {ty.std():.3f} |')
    s, tx, ty = pose_stats(f['photos']['coeffs'])
    for i, n in enumerate(f['photos']['names']):
        print(f'| {n} (photo) | 1 | {s[i]:.4f} | {tx[i]:+.3f} | {ty[i]:+.3f} |')
