"""Fast checks of the generator (07_motion, 08_reenact) that must fail on a wrong flow convention, a wrong graph
evaluation or a broken gradient path. The notebooks hold the full, explained versions."""
import numpy as np
import pytest
import scipy.sparse as sp
import torch
import torch.nn.functional as F

from meshreenact.core import identity_grid, warp
from meshreenact.graph import adjacency_matrix, normalized_laplacian, scaled_laplacian
from meshreenact.motion import FlowDecoder, GCNEncoder, MotionNet, UpBlock, stacked_mesh
from meshreenact.reenact import ReenactingModule, masked_flow, resize_flow


def _grid(k):
    i, j = np.meshgrid(np.arange(k - 1), np.arange(k - 1), indexing='ij')
    a = (i * k + j).ravel(); b, c, d = a + 1, a + k, a + k + 1
    tri = np.concatenate([np.stack([a, c, b], 1), np.stack([b, c, d], 1)])
    keep = np.array([r * k + c for r in range(0, k, 2) for c in range(0, k, 2)])
    D = sp.csr_matrix((np.ones(len(keep)), (np.arange(len(keep)), keep)), shape=(len(keep), k * k))
    return scaled_laplacian(normalized_laplacian(adjacency_matrix(tri))), D


@pytest.fixture(scope='module')
def small_encoder():
    torch.manual_seed(0)
    laps, downs = zip(*[_grid(k) for k in (16, 8, 4, 2)])
    return GCNEncoder(list(laps), list(downs), channels=(4, 4, 8, 8), latent=6), list(laps), list(downs)


def test_identity_flow_and_convention():
    dec = FlowDecoder(8, (24, 40)).eval(); dec.reset_head(0.)
    with torch.no_grad(): T = dec(torch.randn(2, 8))
    assert torch.equal(T, identity_grid(2, 24, 40))
    src = torch.rand(2, 3, 24, 40)
    assert (warp(src, T) - src).abs().max() < 1e-5
    assert (F.grid_sample(src, T, align_corners=True) - src).abs().max() > 0.05   # the other convention moves it
    assert (warp(src, T.flip(-1)) - src).abs().max() > 0.05                          # (y, x) order moves it


def test_upblock_shortcut_is_nearest_upsampling():
    blk = UpBlock(4, 4); x = torch.randn(1, 4, 3, 5)
    with torch.no_grad():
        for m in blk.main.modules():
            if isinstance(m, torch.nn.Conv2d): m.weight.zero_()
        assert torch.equal(blk(x), x.repeat_interleave(2, -2).repeat_interleave(2, -1))


def test_gcn_encoder_dense_oracle_and_permutation(small_encoder):
    enc, laps, downs = small_encoder
    enc = enc.double(); x = torch.randn(2, 256, 6, dtype=torch.float64)
    with torch.no_grad():
        h = x
        for i, blk in enumerate(enc.blocks):
            L = torch.tensor(laps[i].toarray()); T = [h, L @ h, 2 * L @ (L @ h) - h]
            y = sum(T[k] @ blk.conv.weight[k] for k in range(3)) + blk.conv.bias
            y = (y - y.mean(1, keepdim=True)) / torch.sqrt(y.var(1, unbiased=False, keepdim=True) + blk.norm.eps)
            y = torch.relu(y * blk.norm.weight + blk.norm.bias) @ blk.linear.weight.T + blk.linear.bias
            h = (h if isinstance(blk.skip, torch.nn.Identity) else h @ blk.skip.weight.T) + y
            h = torch.tensor(downs[i].toarray()) @ h
        oracle = h.flatten(1) @ enc.fc.weight.T + enc.fc.bias
        z = enc(x)
    assert (z - oracle).abs().max() < 1e-6
    perm = torch.randperm(256, generator=torch.Generator().manual_seed(0))
    P = sp.csr_matrix((np.ones(256), (np.arange(256), perm.numpy())), shape=(256, 256))
    enc_p = GCNEncoder([P @ laps[0] @ P.T] + laps[1:], [downs[0] @ P.T] + downs[1:], channels=(4, 4, 8, 8), latent=6).double()
    enc_p.load_state_dict(dict(enc.named_parameters()), strict=False)
    with torch.no_grad(): assert (enc_p(x[:, perm]) - z).abs().max() < 1e-10


def test_motion_net_and_reenact_gradients(small_encoder):
    enc = small_encoder[0].float()
    net = MotionNet(enc, FlowDecoder(6, 32, max_channels=16))
    rm = ReenactingModule(base=4, max_channels=8, n_res=1, occ_base=4, occ_max_channels=8)
    v = torch.rand(2, 256, 3)
    out = rm(torch.rand(2, 3, 32, 32), net(stacked_mesh(v, v + 0.01)))
    assert out.image.shape == (2, 3, 32, 32) and out.occlusion.shape == (2, 1, 8, 8)
    assert 0 < out.image.min() and out.image.max() < 1
    out.image.mean().backward()
    missing = [n for m in (net, rm) for n, p in m.named_parameters() if p.grad is None or p.grad.abs().sum() == 0]
    assert missing == []


def test_resize_and_masked_flow_oracles():
    A = torch.tensor([[0.9, 0.1], [-0.05, 1.1]], dtype=torch.float64); b = torch.tensor([0.03, -0.02], dtype=torch.float64)
    aff = lambda H, W: identity_grid(1, H, W, dtype=torch.float64) @ A.T + b
    assert (resize_flow(aff(64, 48), (16, 12)) - aff(16, 12)).abs().max() < 1e-12
    T = aff(8, 8); half = torch.full((1, 1, 8, 8), 0.5, dtype=torch.float64)
    assert (masked_flow(T, half) - (T + identity_grid(1, 8, 8, dtype=torch.float64)) / 2).abs().max() < 1e-15
