"""Does the harmonic extension of the mesh flow help the training-free warp on real faces?

Self-reenactment of real clips (frame 0 driven by later frames, scored against them): PSNR and SSIM over the whole
crop and PSNR off the face (outside the driving mesh, where the extension acts), for `extend=None` and the harmonic
extension with rim 0, 1, 2. The rim is chosen on the held-in clip (single_face.mp4); WolfgangLanger_Pexels.mp4 is
held out. Usage: python scripts/warp_extension.py [--size 64 128]
"""
import argparse, os
os.environ.setdefault('OMP_NUM_THREADS', '1')
import torch
from meshreenact.apps import clip_faces, mesh_warp
from meshreenact.morphable import load_bfm, Coeffs
from meshreenact.losses import ssim
from meshreenact.evaluate import psnr
from meshreenact.assets import sample_media

def scores(bfm, clip, extend, rim):
    imgs, c = clip['images'], clip['coeffs']
    T = len(imgs)
    src = imgs[:1].expand(T - 1, -1, -1, -1)
    out, _, mask = mesh_warp(bfm, src, Coeffs.from_vector(c[:1].expand(T - 1, -1)), Coeffs.from_vector(c[1:]), extend=extend, rim=rim)
    tgt = imgs[1:]
    off = (1 - mask).expand_as(tgt)
    mse_off = (((out - tgt) ** 2) * off).flatten(1).sum(1) / off.flatten(1).sum(1)
    return dict(psnr=float(psnr(out, tgt).mean()), ssim=float(ssim(out, tgt).mean()), psnr_off=float((10 * torch.log10(1 / mse_off)).mean()))

def main():
    ap = argparse.ArgumentParser(); ap.add_argument('--size', type=int, nargs='+', default=[64, 128]); a = ap.parse_args()
    torch.set_num_threads(1)
    bfm, media = load_bfm(verbose=False), sample_media(verbose=False)
    configs = [(None, 0), ('harmonic', 0), ('harmonic', 1), ('harmonic', 2)]
    for size in a.size:
        for role, name in (('held-in', 'single_face.mp4'), ('held-out', 'WolfgangLanger_Pexels.mp4')):
            clip = clip_faces(bfm, media[name], size=size)
            print(f"\n{role} {name}: {len(clip['images'])} frames at {size} px (frame 0 drives nothing; {len(clip['images']) - 1} targets)")
            print(f"{'extend':10s} {'rim':>3s} {'PSNR':>7s} {'SSIM':>6s} {'PSNR off-face':>13s}")
            for ext, rim in configs:
                s = scores(bfm, clip, ext, rim)
                print(f"{str(ext):10s} {rim:3d} {s['psnr']:7.2f} {s['ssim']:6.3f} {s['psnr_off']:13.2f}")
            s = dict(psnr=float(psnr(clip['images'][:1].expand_as(clip['images'][1:]), clip['images'][1:]).mean()))
            print(f"{'(unmoved frame 0)':14s} {s['psnr']:7.2f}")

if __name__ == '__main__': main()
