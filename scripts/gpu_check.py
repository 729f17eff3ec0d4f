"""The paper configuration on one GPU, in at most about 4 minutes: training speed and memory, Table 5, CPU-vs-CUDA, NCCL, fps.

    python scripts/gpu_check.py                        # on a CUDA machine (paper configuration, 256 px)
    python scripts/gpu_check.py --device cpu --tiny    # the same checks on tiny settings, CPU, gloo (about a minute)
    python scripts/gpu_check.py --sections 3 6         # only some of the numbered checks below

What it prints, in order:
1. training: `train.train` with `TrainConfig.paper()` (the full Eq. 4: VGG19 pyramid with random weights, as costly as
   the ImageNet one; WGAN-GP critic; coefficient loss) under mixed precision (AMP, CUDA only), on a pool of
   synthetic 256 px pairs rendered once; median ms/step (after warm-up steps) and peak GPU memory at batch 8 and 16;
2. Table 5 on the device (scripts/bench_generator.py's breakdown, paper configuration, batch 1);
3. the CPU-vs-device difference of one forward of the same weights (float32, TF32 off);
4. a torchrun run (world size 1; NCCL on CUDA, gloo on the CPU): process group, an all_reduce check, DDP steps of
   the generator, ms/step;
5. inference frames per second at 256 px, one frame with the source cached (paper() and light(), float32 and AMP);
6. the mesh prior on the device: the harmonic extension by torch on the device (`render.harmonic_extension_torch`)
   against scipy's on the CPU (the reference): the largest difference and ms per batch of 8 at 64 px and 256 px
   (tiny: 64 px); and the committed mesh-prior generator (data_samples/generator64.pt), CPU vs device.

The GPU machine has no internet: the morphable model and mesh hierarchy come from the cache. Before the run, copy them
into an ignored folder that travels with the tree, and point the cache there:
    mkdir -p runs/gpu_cache && cp -r ~/.cache/meshreenact/bfm ~/.cache/meshreenact/hierarchy runs/gpu_cache/
    MESHREENACT_CACHE=runs/gpu_cache python scripts/gpu_check.py
"""
import argparse, os, statistics, subprocess, sys, tempfile, time
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def sync(device):
    if device.type == 'cuda': torch.cuda.synchronize(device)


class Pool(torch.utils.data.Dataset):
    "A few pre-rendered pairs, served `length` times over (the GPU should not wait for the CPU renderer)."
    def __init__(self, items, length): self.items, self.length = items, length
    def __len__(self): return self.length
    def __getitem__(self, i): return self.items[i % len(self.items)]


def render_pool(size: int, n: int, split: str = 'train', workers: int = 0) -> list:
    from meshreenact.synthetic import SyntheticHeads
    ds = SyntheticHeads(split, size=size, length=n, seed=0, meshes=False, cross=split == 'test')
    dl = torch.utils.data.DataLoader(ds, batch_size=None, num_workers=workers)
    return list(dl)


def section(title): print(f"\n== {title}", flush=True)


def train_speed(a, device, pool, held):
    "ms/step and peak memory of train.train at each batch size."
    from meshreenact.train import TrainConfig, train
    section(f"1. training, {'tiny' if a.tiny else 'paper'} configuration, {'AMP' if device.type == 'cuda' else 'float32 (AMP is CUDA only)'}, {device}")
    print(f"  {'batch':>5s} {'steps':>6s} {'ms/step':>9s} {'images/s':>9s} {'peak memory':>12s}  reconstruction")
    for batch, steps in zip(a.batches, a.steps):
        base = TrainConfig.tiny if a.tiny else TrainConfig.paper
        cfg = base(batch_size=batch, steps=steps, warmup=0, reconstruction='vgg-random', workers=0, amp=True,
                   log_every=10 ** 6, sample_every=10 ** 6, checkpoint_every=10 ** 6, eval_every=10 ** 6, eval_size=len(held))
        ts, last = [], [None]
        def tick(step, logs):                    # logs were synchronised (sync_logs): the step is done
            sync(device); t = time.perf_counter()
            if last[0] is not None: ts.append((t - last[0]) * 1e3)
            last[0] = t
        if device.type == 'cuda': torch.cuda.reset_peak_memory_stats(device)
        with tempfile.TemporaryDirectory() as d:
            res = train(cfg, Pool(pool, steps * batch), d, device, resume=False, eval_data=held, progress=False, callback=tick)
        warm = min(a.warmup_steps, max(0, len(ts) - 1))
        ms = statistics.median(ts[warm:]) if ts else float('nan')
        mem = f"{torch.cuda.max_memory_allocated(device) / 2 ** 30:9.2f} GiB" if device.type == 'cuda' else f"{'-':>12s}"
        rec = getattr(res, 'metrics', {})
        print(f"  {batch:5d} {res.step:6d} {ms:9.1f} {batch / ms * 1e3:9.1f} {mem}  vgg-random; held-out self PSNR "
              f"{rec.get('self_psnr', float('nan')):.2f} dB after {res.step} steps", flush=True)
        del res
        if device.type == 'cuda': torch.cuda.empty_cache()


def table5(a, device, model, hier):
    from bench_generator import bench
    from meshreenact.reenact import GeneratorConfig
    section(f"2. Table 5 breakdown on {device}")
    name = 'tiny' if a.tiny else 'paper'
    bench(name, getattr(GeneratorConfig, name)(), model, hier, device, a.repeats, 2, 1)


def cpu_vs_device(a, device, model, hier):
    from meshreenact.core import seed_everything
    from meshreenact.morphable import Coeffs
    from meshreenact.reenact import Generator, GeneratorConfig
    section(f"3. one forward, CPU vs {device} (same weights, float32, TF32 off)")
    torch.backends.cuda.matmul.allow_tf32 = False; torch.backends.cudnn.allow_tf32 = False
    seed_everything(0)
    cfg = GeneratorConfig.tiny() if a.tiny else GeneratorConfig.paper()
    g = Generator(cfg, model, hier).eval()
    g.motion.decoder.reset_head(0.05)              # a visible flow
    img = torch.rand(1, 3, cfg.size, cfg.size); cs, cd = Coeffs.sample(1, seed=1), Coeffs.sample(1, seed=2)
    with torch.no_grad():
        ref = g(img, cs, cd)
        out = g.to(device)(img.to(device), cs.to(device), cd.to(device))
    for k in ('image', 'flow', 'occlusion'):
        d = (getattr(out, k).cpu() - getattr(ref, k)).abs().max().item()
        print(f"  {k:10s} max |CPU - {device.type}| = {d:.2e}")
    if device.type == 'cpu': print("  (the device is the CPU: this check is trivial here; on CUDA it compares cuDNN/cuSPARSE with oneDNN/MKL)")


def ddp_worker(a):
    "Run under torchrun: process group, all_reduce check, a few DDP steps of the generator."
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel as DDP
    from meshreenact.core import seed_everything
    from meshreenact.morphable import Coeffs, load_bfm
    from meshreenact.reenact import Generator, GeneratorConfig
    dev = torch.device(a.device)
    backend = 'nccl' if dev.type == 'cuda' else 'gloo'
    dist.init_process_group(backend)
    rank, world = dist.get_rank(), dist.get_world_size()
    if dev.type == 'cuda': dev = torch.device('cuda', int(os.environ.get('LOCAL_RANK', 0))); torch.cuda.set_device(dev)
    t = torch.tensor([rank + 1.], device=dev); dist.all_reduce(t)
    ok = t.item() == world * (world + 1) / 2
    seed_everything(0)
    cfg = GeneratorConfig.tiny() if a.tiny else GeneratorConfig.paper()
    g = DDP(Generator.from_bfm(cfg).to(dev), device_ids=[dev.index] if dev.type == 'cuda' else None)
    opt = torch.optim.Adam(g.parameters(), 2e-4)
    B = 2 if a.tiny else 4
    img, tgt = torch.rand(B, 3, cfg.size, cfg.size, device=dev), torch.rand(B, 3, cfg.size, cfg.size, device=dev)
    cs, cd = Coeffs.sample(B, seed=1).to(dev), Coeffs.sample(B, seed=2).to(dev)
    ts = []
    for i in range(a.ddp_steps):
        sync(dev); t0 = time.perf_counter()
        with torch.autocast(dev.type, enabled=dev.type == 'cuda'):
            loss = (g(img, cs, cd).image.float() - tgt).abs().mean()
        opt.zero_grad(); loss.backward(); opt.step(); sync(dev)
        ts.append((time.perf_counter() - t0) * 1e3)
    if rank == 0:
        print(f"  backend {dist.get_backend()}, world size {world}, all_reduce {'ok' if ok else 'WRONG'}; "
              f"{a.ddp_steps} DDP steps at batch {B}: {statistics.median(ts[1:] or ts):.1f} ms/step; final loss {loss.item():.4f}", flush=True)
    dist.destroy_process_group()
    return 0 if ok else 1


def torchrun_check(a, device):
    section(f"4. torchrun, world size 1, {'NCCL' if device.type == 'cuda' else 'gloo'}")
    cmd = [sys.executable, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node=1', str(Path(__file__).resolve()),
           '--ddp-worker', '--device', str(device), '--ddp-steps', str(a.ddp_steps)] + (['--tiny'] if a.tiny else [])
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env={**os.environ, 'OMP_NUM_THREADS': str(torch.get_num_threads())})
    print(r.stdout.rstrip())
    if r.returncode != 0: print(f"  torchrun FAILED (exit {r.returncode}):\n{r.stderr[-3000:]}")


def fps(a, device, model, hier):
    from bench_fomm import OursFrame, interleaved
    from meshreenact.core import seed_everything
    from meshreenact.morphable import Coeffs
    from meshreenact.reenact import Generator, GeneratorConfig
    names = ['tiny'] if a.tiny else ['paper', 'light']
    size = 64 if a.tiny else 256
    section(f"5. inference, one {size} px frame with the source cached, batch 1, {device}, median of {a.repeats} interleaved rounds")
    seed_everything(0)
    img = torch.rand(1, 3, size, size, device=device)
    cs, cd = Coeffs.sample(1, seed=1).to(device), Coeffs.sample(1, seed=2).to(device)
    fns = {}
    with torch.no_grad():
        for n in names:
            f = OursFrame(Generator(getattr(GeneratorConfig, n)(), model, hier).to(device).eval(), img, cs)
            def run(f=f): f(cd); sync(device)
            def run_amp(f=f):
                with torch.autocast(device.type, dtype=torch.float16 if device.type == 'cuda' else torch.bfloat16): f(cd)
                sync(device)
            fns[f'{n}, float32'] = run
            if device.type == 'cuda': fns[f'{n}, AMP float16'] = run_amp
        ms = interleaved(fns, a.repeats, warmup=3)
    for k, v in ms.items(): print(f"  {k:22s} {v:8.2f} ms  {1e3 / v:8.1f} frames/s")


def mesh_prior(a, device, model, hier):
    "The mesh prior's harmonic extension on the device vs scipy on the CPU; the committed mesh-prior generator, CPU vs device."
    from bench_fomm import interleaved
    from meshreenact.morphable import Coeffs
    from meshreenact.reenact import Generator, GeneratorConfig
    from meshreenact.render import mesh_flow, extend_flow
    from meshreenact.train import load_trained_generator
    rounds = min(a.repeats, 5)                    # scipy takes seconds a batch at 256 px
    section(f"6. the mesh prior on {device}: torch multigrid-CG on the device vs scipy on the CPU (batch 8), median of {rounds} interleaved rounds")
    g = Generator(GeneratorConfig.tiny(mesh_prior=True), model, hier)
    st = g.meshes(Coeffs.sample(8, seed=1), Coeffs.sample(8, seed=2))
    print(f"  {'size':>5s} {'scipy ms':>9s} {'torch ms':>9s} {'scipy/torch':>12s} {'max |diff|':>11s}")
    for S in ([64] if a.tiny else [64, 256]):
        flow, mask = mesh_flow(st[..., :3], st[..., 3:], g.triangles, S)
        fd, md = flow.to(device), mask.to(device)
        def on_device(): extend_flow(fd, md); sync(device)
        ms = interleaved({'scipy': lambda: extend_flow(flow, mask, solver='scipy'), 'torch': on_device}, rounds)
        d = (extend_flow(fd, md).cpu() - extend_flow(flow, mask, solver='scipy')).abs().max().item()
        print(f"  {S:5d} {ms['scipy']:9.1f} {ms['torch']:9.1f} {ms['scipy'] / ms['torch']:12.2f} {d:11.1e}")
    torch.backends.cuda.matmul.allow_tf32 = False; torch.backends.cudnn.allow_tf32 = False
    G, _ = load_trained_generator()
    G = getattr(G, 'generator', G).eval()
    B, S = 8, G.config.size
    img = torch.rand(B, 3, S, S, generator=torch.Generator().manual_seed(0))
    cs, cd = Coeffs.sample(B, seed=3), Coeffs.sample(B, seed=4)
    with torch.no_grad():
        ref = G(img, cs, cd)
        Gd = G.to(device)
        out = Gd(img.to(device), cs.to(device), cd.to(device))
        def fwd(): Gd(img.to(device), cs.to(device), cd.to(device)); sync(device)
        ms = interleaved({'fwd': fwd}, a.repeats)['fwd']
    print(f"  committed generator (mesh prior + pixel path, {S} px), batch {B}: max |CPU - {device.type}| image "
          f"{(out.image.cpu() - ref.image).abs().max().item():.2e}, prior {(out.prior.cpu() - ref.prior).abs().max().item():.2e}; "
          f"{ms:.1f} ms per batch on {device} ({B / ms * 1e3:.0f} frames/s)")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--device', default=None, help="'cuda' (default when available) or 'cpu'")
    ap.add_argument('--tiny', action='store_true', help='tiny settings (64 px tiny generator, few steps): the CPU smoke test')
    ap.add_argument('--batches', type=int, nargs='+', default=None, help='training batch sizes (default 8 16; tiny: 2 4)')
    ap.add_argument('--steps', type=int, nargs='+', default=None, help='training steps per batch size (default 100 200; tiny: 4 4)')
    ap.add_argument('--warmup-steps', type=int, default=None, help='steps left out of the median (default 10; tiny: 1)')
    ap.add_argument('--repeats', type=int, default=None, help='timing repeats (default 30; tiny: 3)')
    ap.add_argument('--ddp-steps', type=int, default=None)
    ap.add_argument('--sections', type=int, nargs='+', default=[1, 2, 3, 4, 5, 6], help='which of the numbered checks to run (default all)')
    ap.add_argument('--ddp-worker', action='store_true', help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    a.batches = a.batches or ([2, 4] if a.tiny else [8, 16])
    a.steps = a.steps or ([4, 4] if a.tiny else [100, 200])
    a.warmup_steps = a.warmup_steps if a.warmup_steps is not None else (1 if a.tiny else 10)
    a.repeats = a.repeats or (3 if a.tiny else 30)
    a.ddp_steps = a.ddp_steps or (3 if a.tiny else 20)
    if len(a.steps) != len(a.batches): ap.error('--steps needs one number per --batches')
    if a.device is None: a.device = 'cuda' if torch.cuda.is_available() else 'cpu'
    if a.device.startswith('cuda') and not torch.cuda.is_available():
        print("gpu_check: no CUDA device here (use --device cpu --tiny for the CPU smoke test)", file=sys.stderr); return 1
    if a.ddp_worker: return ddp_worker(a)
    device = torch.device(a.device)
    if device.type == 'cpu': torch.set_num_threads(min(2, os.cpu_count() or 1))
    t_all = time.perf_counter()
    from meshreenact.morphable import load_bfm
    from meshreenact.sampling import MeshHierarchy
    print(f"torch {torch.__version__}, device {torch.cuda.get_device_name(device) if device.type == 'cuda' else 'CPU'}, "
          f"{torch.get_num_threads()} CPU threads; {'tiny' if a.tiny else 'paper'} settings")
    model = load_bfm(verbose=False); hier = MeshHierarchy.build(model.mean, model.triangles)
    size = 64 if a.tiny else 256
    if 1 in a.sections:
        t = time.perf_counter()
        pool = render_pool(size, 8 if a.tiny else 32, workers=0 if a.tiny else min(8, os.cpu_count() or 1))
        held = Pool(render_pool(size, 4 if a.tiny else 8, 'test'), 4 if a.tiny else 8)
        print(f"synthetic pool: {len(pool)} training pairs and {len(held)} held-out pairs at {size} px, rendered in {time.perf_counter() - t:.1f} s")
    checks = (('training', lambda: train_speed(a, device, pool, held)), ('table 5', lambda: table5(a, device, model, hier)),
              ('cpu vs device', lambda: cpu_vs_device(a, device, model, hier)), ('torchrun', lambda: torchrun_check(a, device)),
              ('fps', lambda: fps(a, device, model, hier)), ('mesh prior', lambda: mesh_prior(a, device, model, hier)))
    for number, (name, fn) in enumerate(checks, 1):
        if number not in a.sections: continue
        t = time.perf_counter()
        try: fn()
        except Exception as e: print(f"  {name} FAILED: {type(e).__name__}: {str(e)[:500]}")
        print(f"  ({name}: {time.perf_counter() - t:.1f} s)", flush=True)
    print(f"\ntotal {time.perf_counter() - t_all:.1f} s")
    return 0


if __name__ == '__main__':
    sys.exit(main())
