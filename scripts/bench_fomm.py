"""Per-frame cost at 256 px against a First Order Motion Model-shaped reference, training throughput at 64 px, and the waste removed.

    python scripts/bench_fomm.py                   # the 256 px table (2 threads, batch 1), the NaN-scan and 1x1 tables
    python scripts/bench_fomm.py --train           # also training images/s at 64 px, batch 8
    python scripts/bench_fomm.py --rounds 3 --only-train

FOMM is not a dependency: `Fomm` below rebuilds the layer shapes of its published vox-256 configuration (Siarohin et
al., NeurIPS 2019, config/vox-256.yaml): 10 keypoints with Jacobians; keypoint detector = hourglass of 5 levels, 32
channels doubling up to 1024, on the frame blurred and scaled by 0.25 (64 px), 7x7 heads; dense-motion network =
hourglass of 5 levels, 64 channels doubling up to 1024, on 11 heatmaps and 11 deformed sources at 64 px, softmax mask
and occlusion heads; generator = 7x7 conv 64, 2 down blocks (128, 256), 6 ResBlocks at 256 channels, 2 one-conv up
blocks, 7x7 conv to RGB. Random weights (the cost does not depend on them). 59.8 M parameters, as FOMM's checkpoint.

Per frame with the source cached, for a video: FOMM keeps the source keypoints, the source's 64 px image and its
encoder features, and runs the keypoint detector on the driving frame, the dense-motion network, the warp and the
decoder. Ours keeps the source coefficients and encoder features and runs mesh construction, the motion net, the
occlusion net, the warp and the decoder; the driving frame's coefficients come from mesh regression (06a_fit, 06b_regressor),
timed in its own row (the paper's Table 5 also lists it apart). Every system is timed in the same process, rounds
interleaved (A B C A B C ...), median over rounds; GFLOP by torch.utils.flop_counter (convolutions and matrix
products; grid_sample, interpolation, norms and sparse products are not counted).

Light preset quality at an equal training budget: see the report of issue 15 (scripts/compare_light.py).
"""
import argparse, statistics, time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

import meshreenact.motion as motion_mod
import meshreenact.reenact as reenact_mod
from meshreenact.core import seed_everything, check_tensor
from meshreenact.morphable import load_bfm, Coeffs
from meshreenact.sampling import MeshHierarchy
from meshreenact.reenact import Generator, GeneratorConfig, masked_flow, resize_flow


# ---------------------------------------------------------------- FOMM's vox-256 layer shapes (written from its config)
def cbr(c_in, c_out, k=3):
    "Conv (with bias, as FOMM) -> BN -> ReLU, 'same' padding."
    return nn.Sequential(nn.Conv2d(c_in, c_out, k, padding=k // 2), nn.BatchNorm2d(c_out), nn.ReLU())

class FDown(nn.Module):
    def __init__(self, c_in, c_out): super().__init__(); self.conv = cbr(c_in, c_out)
    def forward(self, x): return F.avg_pool2d(self.conv(x), 2)

class FUp(nn.Module):
    def __init__(self, c_in, c_out): super().__init__(); self.conv = cbr(c_in, c_out)
    def forward(self, x): return self.conv(F.interpolate(x, scale_factor=2))

class FRes(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.body = nn.Sequential(nn.BatchNorm2d(c), nn.ReLU(), nn.Conv2d(c, c, 3, padding=1),
                                  nn.BatchNorm2d(c), nn.ReLU(), nn.Conv2d(c, c, 3, padding=1))
    def forward(self, x): return x + self.body(x)

class FHourglass(nn.Module):
    "FOMM's hourglass: n down blocks (be*2^(i+1), capped), n up blocks, each output concatenated with the skip of its size."
    def __init__(self, be, c_in, max_f, n):
        super().__init__()
        w = lambda i: min(max_f, be * 2 ** i)
        self.downs = nn.ModuleList([FDown(c_in if i == 0 else w(i), w(i + 1)) for i in range(n)])
        self.ups = nn.ModuleList([FUp((1 if i == n - 1 else 2) * w(i + 1), w(i)) for i in reversed(range(n))])
        self.out_channels = be + c_in
    def forward(self, x):
        skips = [x]
        for d in self.downs: skips.append(d(skips[-1]))
        y = skips.pop()
        for u in self.ups: y = torch.cat([u(y), skips.pop()], 1)
        return y

class AntiAlias(nn.Module):
    "FOMM's AntiAliasInterpolation2d: Gaussian blur (sigma = (1/s - 1)/2), then keep every (1/s)-th pixel."
    def __init__(self, channels, scale):
        super().__init__()
        sigma = (1 / scale - 1) / 2; k = 2 * round(sigma * 4) + 1
        t = torch.arange(k, dtype=torch.float32) - (k - 1) / 2
        g = torch.exp(-t ** 2 / (2 * sigma ** 2)); g2 = torch.outer(g, g); g2 /= g2.sum()
        self.register_buffer('kernel', g2.expand(channels, 1, k, k).contiguous())
        self.pad, self.step, self.groups = k // 2, int(round(1 / scale)), channels
    def forward(self, x):
        if self.step == 1: return x
        return F.conv2d(F.pad(x, [self.pad] * 4), self.kernel, groups=self.groups)[:, :, ::self.step, ::self.step]

def coordinate_grid(h, w, like):  # (h, w, 2) in [-1, 1], (x, y)
    y, x = torch.linspace(-1, 1, h, device=like.device), torch.linspace(-1, 1, w, device=like.device)
    return torch.stack([x.view(1, w).expand(h, w), y.view(h, 1).expand(h, w)], -1)

class FKeypoints(nn.Module):
    "Keypoint detector: hourglass(32 -> 1024, 5 levels) on the 0.25-scaled frame; 7x7 heads for K heatmaps and K Jacobians."
    def __init__(self, K=10, scale=0.25, temperature=0.1):
        super().__init__()
        self.down, self.K, self.temperature = AntiAlias(3, scale), K, temperature
        self.predictor = FHourglass(32, 3, 1024, 5)
        self.kp = nn.Conv2d(self.predictor.out_channels, K, 7)
        self.jacobian = nn.Conv2d(self.predictor.out_channels, 4 * K, 7)
        with torch.no_grad(): self.jacobian.weight.zero_(); self.jacobian.bias.copy_(torch.tensor([1., 0, 0, 1]).repeat(K))
    def forward(self, x):
        f = self.predictor(self.down(x))
        p = self.kp(f); B, K, h, w = p.shape
        heat = F.softmax(p.view(B, K, -1) / self.temperature, -1).view(B, K, h, w)
        value = (heat.unsqueeze(-1) * coordinate_grid(h, w, p)).sum((2, 3))                   # (B, K, 2)
        jac = (heat.unsqueeze(2) * self.jacobian(f).view(B, K, 4, h, w)).sum((-2, -1)).view(B, K, 2, 2)
        return value, jac

class FDenseMotion(nn.Module):
    "Dense-motion network: hourglass(64 -> 1024, 5 levels) on K+1 heatmaps and K+1 deformed sources; mask and occlusion heads."
    def __init__(self, K=10, variance=0.01):
        super().__init__()
        self.K, self.variance = K, variance
        self.hourglass = FHourglass(64, (K + 1) * 4, 1024, 5)
        self.mask = nn.Conv2d(self.hourglass.out_channels, K + 1, 7, padding=3)
        self.occlusion = nn.Conv2d(self.hourglass.out_channels, 1, 7, padding=3)
    def forward(self, small_source, kp_d, kp_s):  # (B, 3, h, w), ((B, K, 2), (B, K, 2, 2)) x 2
        B, C, h, w = small_source.shape; K = self.K
        grid = coordinate_grid(h, w, small_source)                                            # (h, w, 2)
        gauss = lambda v: torch.exp(-0.5 * ((grid - v.view(B, K, 1, 1, 2)) ** 2).sum(-1) / self.variance)
        heat = torch.cat([small_source.new_zeros(B, 1, h, w), gauss(kp_d[0]) - gauss(kp_s[0])], 1).unsqueeze(2)
        jac = kp_s[1] @ torch.inverse(kp_d[1])                                                # (B, K, 2, 2)
        g = (jac.view(B, K, 1, 1, 2, 2) @ (grid - kp_d[0].view(B, K, 1, 1, 2)).unsqueeze(-1)).squeeze(-1) + kp_s[0].view(B, K, 1, 1, 2)
        sparse = torch.cat([grid.expand(B, 1, h, w, 2), g], 1)                               # (B, K+1, h, w, 2)
        deformed = F.grid_sample(small_source.repeat_interleave(K + 1, 0), sparse.reshape(-1, h, w, 2),
                                 align_corners=False).view(B, K + 1, C, h, w)
        pred = self.hourglass(torch.cat([heat, deformed], 2).view(B, -1, h, w))
        mask = F.softmax(self.mask(pred), 1).unsqueeze(-1)                                    # (B, K+1, h, w, 1)
        return (sparse * mask).sum(1), torch.sigmoid(self.occlusion(pred))                   # (B, h, w, 2), (B, 1, h, w)

class Fomm(nn.Module):
    "FOMM-shaped reenactor (vox-256 shapes). frame(cache, driving) is the per-frame cost with the source cached."
    def __init__(self, K=10, scale=0.25):
        super().__init__()
        self.kp_detector, self.dense_motion, self.scale = FKeypoints(K, scale), FDenseMotion(K), scale
        self.down = AntiAlias(3, scale)
        self.first = cbr(3, 64, 7)
        self.downs = nn.Sequential(FDown(64, 128), FDown(128, 256))
        self.bottleneck = nn.Sequential(*[FRes(256) for _ in range(6)])
        self.ups = nn.Sequential(FUp(256, 128), FUp(128, 64))
        self.final = nn.Conv2d(64, 3, 7, padding=3)
    def cache(self, source): return dict(kp=self.kp_detector(source), small=self.down(source), feat=self.downs(self.first(source)))
    def frame(self, c, driving):
        flow, occ = self.dense_motion(c['small'], self.kp_detector(driving), c['kp'])
        f = c['feat']
        if flow.shape[1:3] != f.shape[-2:]:
            flow = F.interpolate(flow.permute(0, 3, 1, 2), size=f.shape[-2:], mode='bilinear').permute(0, 2, 3, 1)
            occ = F.interpolate(occ, size=f.shape[-2:], mode='bilinear')
        x = F.grid_sample(f, flow, align_corners=False) * occ
        return torch.sigmoid(self.final(self.ups(self.bottleneck(x))))
    def forward(self, source, driving): return self.frame(self.cache(source), driving)


# ---------------------------------------------------------------- ours, per frame with the source cached
class OursFrame:
    "The generator's per-frame work with the source's coefficients and encoder features cached."
    def __init__(self, g: Generator, img, cs):
        self.g, self.img, self.cs = g, img, cs
        self.feat = g.reenact.encode(img)
    def __call__(self, cd):
        g, r = self.g, self.g.reenact
        flow = g.motion(g.meshes(self.cs, cd).to(self.img.dtype))
        hw = self.feat.shape[-2:]
        o, m = r.occlude(self.img, flow, hw)
        return r.decode(self.feat, masked_flow(resize_flow(flow, hw), m), o, self.img.shape[-2:])


def n_params(m) -> int: return sum(p.numel() for p in m.parameters())

def gflop(fn) -> float:
    with FlopCounterMode(display=False) as fc: fn()
    return fc.get_total_flops() / 1e9

def interleaved(fns: dict, rounds: int, warmup: int = 1) -> dict:
    "Median ms of each fn, timed round-robin in one process (A B C A B C ...)."
    for _ in range(warmup):
        for f in fns.values(): f()
    ts = {k: [] for k in fns}
    for _ in range(rounds):
        for k, f in fns.items():
            t = time.perf_counter(); f(); ts[k].append((time.perf_counter() - t) * 1e3)
    return {k: statistics.median(v) for k, v in ts.items()}

def scanning(x, name, shape):
    "The old behaviour of the inner checks: shape and a NaN/inf scan (check_tensor)."
    return check_tensor(x, name, shape)

class NanScans:
    "Context: the motion net and reenacting module scan every checked tensor again (the code before issue 15)."
    def __enter__(self): motion_mod.check_shape = reenact_mod.check_shape = scanning
    def __exit__(self, *a): motion_mod.check_shape = reenact_mod.check_shape = _check_shape
_check_shape = reenact_mod.check_shape


def bench_256(a, model, hier):
    S = 256
    seed_everything(0)
    img, drv = torch.rand(1, 3, S, S), torch.rand(1, 3, S, S)
    cs, cd = Coeffs.sample(1, seed=1), Coeffs.sample(1, seed=2)
    fomm = Fomm().eval()
    gens = {'paper': Generator(GeneratorConfig.paper(), model, hier).eval(),
            'light': Generator(GeneratorConfig.light(), model, hier).eval()}
    from meshreenact.regress import load_regressor
    reg = load_regressor()
    with torch.no_grad():
        fc = fomm.cache(img)
        ours = {k: OursFrame(g, img, cs) for k, g in gens.items()}
        fns = {'FOMM-shaped': lambda: fomm.frame(fc, drv),
               'ours, paper()': lambda: ours['paper'](cd),
               'ours, light()': lambda: ours['light'](cd),
               'mesh regression (driving frame)': lambda: reg(drv)}
        flops = {k: gflop(f) for k, f in fns.items()}
        ms = interleaved(fns, a.rounds)
    par = {'FOMM-shaped': n_params(fomm), 'ours, paper()': n_params(gens['paper']), 'ours, light()': n_params(gens['light']),
           'mesh regression (driving frame)': n_params(reg)}
    f0 = ms['FOMM-shaped']
    print(f"\n256 px, one frame with the source cached: batch 1, {torch.get_num_threads()} threads, median of {a.rounds} interleaved rounds")
    print(f"  {'system':34s} {'parameters':>12s} {'GFLOP':>8s} {'ms':>8s} {'ms / FOMM':>10s} {'GFLOP/s':>8s}")
    for k in fns:
        print(f"  {k:34s} {par[k]:12,d} {flops[k]:8.1f} {ms[k]:8.1f} {ms[k] / f0:10.2f} {flops[k] / ms[k] * 1e3:8.1f}")
    reg_ms = ms['mesh regression (driving frame)']
    for k in ('ours, paper()', 'ours, light()'):
        print(f"  {k + ' + regression':34s} {'':12s} {flops[k] + flops['mesh regression (driving frame)']:8.1f} {ms[k] + reg_ms:8.1f} {(ms[k] + reg_ms) / f0:10.2f}")
    print(f"  FOMM parts: keypoint detector {n_params(fomm.kp_detector):,}, dense motion {n_params(fomm.dense_motion):,}, "
          f"generator {n_params(fomm) - n_params(fomm.kp_detector) - n_params(fomm.dense_motion):,} parameters")
    return gens, ours, cd


def bench_scans(a, model, hier, gens, ours, cd):
    "Before/after removing the NaN scans from the inner forwards: same outputs, time of each."
    S = 64
    seed_everything(0)
    tiny = Generator(GeneratorConfig.tiny(), model, hier).eval()
    img, cs, cd64 = torch.rand(1, 3, S, S), Coeffs.sample(1, seed=1), Coeffs.sample(1, seed=2)
    full = {'tiny, 64 px, whole forward': lambda: tiny(img, cs, cd64).image,
            'paper, 256 px, per frame': lambda: ours['paper'](cd)}
    print(f"\nNaN/inf scans inside the forwards (before) vs shape checks only (after): {torch.get_num_threads()} threads, "
          f"median of {3 * a.rounds} interleaved rounds")
    print(f"  {'':30s} {'before ms':>10s} {'after ms':>10s} {'after/before':>13s} {'max |diff|':>11s}")
    with torch.no_grad():
        for name, f in full.items():
            rounds = 3 * a.rounds if 'tiny' in name else a.rounds
            def before():
                with NanScans(): return f()
            ms = interleaved({'before': before, 'after': f}, rounds)
            d = float((before() - f()).abs().max())
            print(f"  {name:30s} {ms['before']:10.2f} {ms['after']:10.2f} {ms['after'] / ms['before']:13.3f} {d:11.1e}")


def conv1x1_matmul(x, w):
    "A 1x1 convolution as one matmul over channels: (c_out, c_in) @ (B, c_in, H W)."
    B, C, H, W = x.shape
    return torch.matmul(w.reshape(w.shape[0], C), x.reshape(B, C, H * W)).reshape(B, w.shape[0], H, W)


def bench_1x1(a):
    "The 1x1 shortcut convolutions: PyTorch's pick (batch < 16, 1 thread, 1x1: its 'slow' GEMM path) vs oneDNN (dilation 2) vs one matmul over channels; forward, and forward + backward."
    from torch.profiler import profile
    shapes = [(1, 256, 128, 128), (1, 128, 64, 256),       # the paper decoder's shortcuts at 256 px, batch 1
              (16, 32, 16, 64), (8, 32, 16, 64)]            # tiny()'s at 64 px, the pipeline's and training's batches
    g = torch.Generator().manual_seed(0)
    R = 3 * a.rounds
    print(f"\n1x1 convolutions (the decoders' shortcuts), median of {R} interleaved rounds (A B C A B C ...), ms")
    print(f"  {'B x c_in->c_out @ side':24s} {'threads':>7s} {'kernel picked':>22s} {'default':>8s} {'oneDNN':>8s} {'matmul':>8s} "
          f"{'mm/def':>7s} {'fwd+bwd: def':>13s} {'matmul':>8s} {'mm/def':>7s} {'max |diff|':>11s}")
    n0 = torch.get_num_threads()
    for threads in (1, 2):
        torch.set_num_threads(threads)
        for B, ci, co, s in shapes:
            x, w = torch.randn(B, ci, s, s, generator=g), torch.randn(co, ci, 1, 1, generator=g) / ci ** 0.5
            with torch.no_grad():
                with profile() as p: F.conv2d(x, w)
                kern = [e.key for e in p.key_averages() if e.key in ('aten::_slow_conv2d_forward', 'aten::mkldnn_convolution')]
                ms = interleaved({'default': lambda: F.conv2d(x, w),
                                  # dilation does nothing to a 1x1 kernel, but it makes PyTorch route the conv to oneDNN
                                  'onednn': lambda: F.conv2d(x, w, dilation=2),
                                  'matmul': lambda: conv1x1_matmul(x, w)}, R)
                d = max(float((F.conv2d(x, w) - F.conv2d(x, w, dilation=2)).abs().max()), float((F.conv2d(x, w) - conv1x1_matmul(x, w)).abs().max()))
            xg, wg = x.clone().requires_grad_(), w.clone().requires_grad_()
            def fb(fn):
                def run():
                    xg.grad = wg.grad = None
                    fn(xg, wg).square().mean().backward()
                return run
            mb = interleaved({'default': fb(F.conv2d), 'matmul': fb(conv1x1_matmul)}, R)
            print(f"  {f'{B} x {ci}->{co} @ {s}':24s} {threads:7d} {(kern[0][6:] if kern else '?'):>22s} {ms['default']:8.2f} {ms['onednn']:8.2f} "
                  f"{ms['matmul']:8.2f} {ms['matmul'] / ms['default']:7.2f} {mb['default']:13.2f} {mb['matmul']:8.2f} {mb['matmul'] / mb['default']:7.2f} {d:11.1e}")
    torch.set_num_threads(n0)


def bench_train(a, model, hier):
    "Training images/s at 64 px, batch 8: forward, L1 image loss, backward, Adam step (no perceptual/adversarial terms on either side)."
    S, B = 64, a.train_batch
    seed_everything(0)
    src, drv = torch.rand(B, 3, S, S), torch.rand(B, 3, S, S)
    cs, cd = Coeffs.sample(B, seed=1), Coeffs.sample(B, seed=2)
    tiny = Generator(GeneratorConfig.tiny(), model, hier).train()
    fomm = Fomm(scale=0.5).train()
    opts = {k: torch.optim.Adam(m.parameters(), 2e-4) for k, m in (('tiny', tiny), ('fomm', fomm))}
    def step(name, fwd):
        loss = (fwd() - drv).abs().mean()
        opts[name].zero_grad(); loss.backward(); opts[name].step()
    fns = {'FOMM-shaped, 64 px': lambda: step('fomm', lambda: fomm(src, drv)),
           'ours, tiny()': lambda: step('tiny', lambda: tiny(src, cs, cd).image)}
    with torch.no_grad():
        flops = {'FOMM-shaped, 64 px': gflop(lambda: fomm(src, drv)) / B, 'ours, tiny()': gflop(lambda: tiny(src, cs, cd).image) / B}
    ms = interleaved(fns, a.rounds)
    f0 = ms['FOMM-shaped, 64 px']
    print(f"\ntraining at 64 px: batch {B}, {torch.get_num_threads()} threads, forward + L1 + backward + Adam, median of {a.rounds} interleaved rounds")
    print("  (the FOMM-shaped module at 64 px reads its keypoint and dense-motion inputs at 32 px, scale 0.5, so that its 5-level hourglasses still fit)")
    print(f"  {'system':22s} {'parameters':>12s} {'fwd GFLOP/img':>14s} {'ms/step':>9s} {'images/s':>9s} {'speed-up':>9s}")
    for k, m in (('FOMM-shaped, 64 px', fomm), ('ours, tiny()', tiny)):
        print(f"  {k:22s} {n_params(m):12,d} {flops[k]:14.2f} {ms[k]:9.1f} {B / ms[k] * 1e3:9.2f} {f0 / ms[k]:9.2f}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--rounds', type=int, default=5, help='interleaved rounds (median)')
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--train', action='store_true', help='also training throughput at 64 px')
    ap.add_argument('--only-train', action='store_true', help='only training throughput at 64 px')
    ap.add_argument('--train-batch', type=int, default=8)
    ap.add_argument('--only-1x1', action='store_true', help='only the 1x1 convolution table')
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    if a.only_1x1: return bench_1x1(a)
    model = load_bfm(verbose=False)
    hier = MeshHierarchy.build(model.mean, model.triangles)
    if not a.only_train:
        gens, ours, cd = bench_256(a, model, hier)
        bench_scans(a, model, hier, gens, ours, cd)
        bench_1x1(a)
    if a.train or a.only_train: bench_train(a, model, hier)


if __name__ == '__main__':
    main()
