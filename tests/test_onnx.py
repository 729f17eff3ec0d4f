"ONNX export of the generator's 2-D part (reenact.export_onnx) checked with onnxruntime; the graph convolution's gather form."
import importlib.util

import numpy as np
import pytest
import scipy.sparse as sp
import torch

missing = [m for m in ('onnx', 'onnxscript', 'onnxruntime') if importlib.util.find_spec(m) is None]
pytestmark = pytest.mark.skipif(bool(missing), reason=f"ONNX check skipped: {', '.join(missing)} not installed "
                                                      "(pip install onnx onnxscript onnxruntime; they are dev requirements)")


@pytest.fixture(scope='module')
def tiny_generator():
    from meshreenact.reenact import Generator, GeneratorConfig
    torch.manual_seed(0)
    g = Generator.from_bfm(GeneratorConfig.tiny()).eval()
    with torch.no_grad():                                   # a visible flow, not the near-identity of the untrained head
        g.motion.decoder.reset_head(0.05)
    return g


def test_export_2d_part_matches_torch(tiny_generator, tmp_path):
    import onnx, onnxruntime as ort
    from meshreenact.morphable import Coeffs
    from meshreenact.reenact import export_onnx
    g = tiny_generator
    f = export_onnx(g, tmp_path / 'reenact2d.onnx')
    ops = {n.op_type for n in onnx.load(str(f)).graph.node}
    assert 'GridSample' in ops and 'Resize' in ops
    assert not list(tmp_path.glob('*.tmp'))
    torch.manual_seed(1)
    src = torch.rand(1, 3, 64, 64)
    cs, cd = Coeffs.sample(1, seed=1), Coeffs.sample(1, seed=2)
    with torch.no_grad():
        z = g.motion.encoder(g.meshes(cs, cd))              # the mesh side stays in torch
        ref = g(src, cs, cd).image                           # the whole generator, torch
    out = ort.InferenceSession(str(f), providers=['CPUExecutionProvider']).run(
        None, {'source': src.numpy(), 'motion_feature': z.numpy()})[0]
    assert out.shape == (1, 3, 64, 64)
    assert np.abs(out - ref.numpy()).max() < 1e-5
    assert np.abs(ref.numpy() - src.numpy()).max() > 0.1     # the output is not a copy of the input


def test_export_mesh_prior_generator(tmp_path):
    "A generator with the mesh prior and the pixel path: the prior flow is an input of the graph (it is computed by the rasterizer and a sparse solve outside it)."
    import onnxruntime as ort
    from meshreenact.morphable import Coeffs
    from meshreenact.reenact import Generator, GeneratorConfig, export_onnx
    torch.manual_seed(0)
    g = Generator.from_bfm(GeneratorConfig.tiny(mesh_prior=True, pixel_path=True)).eval()
    with torch.no_grad(): g.motion.decoder.reset_head(0.05); g.reenact.reset_blend(0.0)   # a visible correction, A = 0.5
    f = export_onnx(g, tmp_path / 'prior.onnx')
    src = torch.rand(1, 3, 64, 64)
    cs, cd = Coeffs.sample(1, seed=3), Coeffs.sample(1, seed=4)
    with torch.no_grad():
        st = g.meshes(cs, cd)
        z, prior = g.motion.encoder(st), g.prior_flow(st).float()
        ref = g(src, cs, cd).image
    sess = ort.InferenceSession(str(f), providers=['CPUExecutionProvider'])
    assert [i.name for i in sess.get_inputs()] == ['source', 'motion_feature', 'prior']
    out = sess.run(None, {'source': src.numpy(), 'motion_feature': z.numpy(), 'prior': prior.numpy()})[0]
    assert np.abs(out - ref.numpy()).max() < 1e-5


def test_export_rejects_old_opset(tiny_generator, tmp_path):
    from meshreenact.reenact import export_onnx
    with pytest.raises(ValueError, match='opset'): export_onnx(tiny_generator, tmp_path / 'x.onnx', opset=16)


class ChebGather(torch.nn.Module):
    "ChebConv (Eq. 2-3) with L~ x written over the non-zeros (gather, scale, scatter-add): what ONNX can express."
    def __init__(self, conv):
        super().__init__()
        L = conv.laplacian.to_sparse_coo().coalesce()
        self.register_buffer('row', L.indices()[0].clone()); self.register_buffer('col', L.indices()[1].clone())
        self.register_buffer('val', L.values().to(conv.weight.dtype).clone())
        self.weight, self.bias, self.K = conv.weight, conv.bias, conv.K
    def lap(self, t):                                        # (B, n, C) -> L~ t
        return torch.zeros_like(t).index_add_(1, self.row, t[:, self.col] * self.val[:, None])
    def forward(self, x):
        T = [x, self.lap(x)]
        for _ in range(2, self.K): T.append(2 * self.lap(T[-1]) - T[-2])   # Chebyshev recursion
        return sum(T[k] @ self.weight[k] for k in range(self.K)) + self.bias


def test_chebconv_gather_form_exports(tmp_path):
    "ChebConv itself (sparse CSR in a custom autograd function) does not go through torch.export; its gather form does."
    import onnxruntime as ort
    from meshreenact.graph import ChebConv, adjacency_matrix, normalized_laplacian, scaled_laplacian
    k = 12                                                   # a k x k grid mesh
    idx = np.arange(k * k).reshape(k, k)
    tri = np.concatenate([np.stack([idx[:-1, :-1], idx[1:, :-1], idx[:-1, 1:]], -1).reshape(-1, 3),
                          np.stack([idx[1:, :-1], idx[1:, 1:], idx[:-1, 1:]], -1).reshape(-1, 3)])
    L = scaled_laplacian(normalized_laplacian(adjacency_matrix(tri)))
    torch.manual_seed(0)
    conv = ChebConv(6, 8, 3, L)
    with torch.no_grad(): conv.bias.normal_()
    x = torch.randn(2, k * k, 6)
    Ld = torch.tensor(sp.csr_matrix(L).toarray(), dtype=torch.float64)          # dense oracle
    with torch.no_grad():
        T = [x.double(), Ld @ x.double()]; T.append(2 * Ld @ T[1] - T[0])
        dense = sum(T[i] @ conv.weight[i].double() for i in range(3)) + conv.bias.double()
    cg = ChebGather(conv).eval()
    with torch.no_grad():
        assert (conv(x).double() - dense).abs().max() < 1e-5
        assert (cg(x).double() - dense).abs().max() < 1e-5
    f = tmp_path / 'cheb.onnx'
    torch.onnx.export(cg, (x,), str(f), dynamo=True, opset_version=18, input_names=['x'], output_names=['y'],
                      external_data=False, verbose=False)
    out = ort.InferenceSession(str(f), providers=['CPUExecutionProvider']).run(None, {'x': x.numpy()})[0]
    assert np.abs(out - dense.numpy()).max() < 1e-5


def test_export_committed_generator(tmp_path):
    "The committed generator (mesh prior, correction relative to rest and off the face, pixel path with the warped source on the face): its extra inputs computed outside the graph as Generator.forward computes them."
    import onnxruntime as ort
    from meshreenact.morphable import Coeffs
    from meshreenact.motion import stacked_mesh
    from meshreenact.reenact import export_onnx
    from meshreenact.train import load_trained_generator
    G, cfg = load_trained_generator()
    g = G.generator.eval()
    assert g.config.relative_correction and g.config.off_face_correction and g.config.warp_on_face
    f = export_onnx(g, tmp_path / 'committed.onnx')
    src = torch.rand(1, 3, 64, 64)
    cs, cd = Coeffs.sample(1, seed=5), Coeffs.sample(1, seed=6)
    with torch.no_grad():
        st = g.meshes(cs, cd)
        prior, cover = g.prior_flow(st, with_mask=True)
        feeds = {'source': src, 'motion_feature': g.motion.encoder(st), 'prior': prior.float(),
                 'rest_feature': g.motion.encoder(stacked_mesh(st[..., :3], st[..., :3])), 'correction_weight': g.correction_weight(cover)}
        ref = g(src, cs, cd).image
    sess = ort.InferenceSession(str(f), providers=['CPUExecutionProvider'])
    assert [i.name for i in sess.get_inputs()] == list(feeds)
    out = sess.run(None, {k: v.float().numpy() for k, v in feeds.items()})[0]
    assert np.abs(out - ref.numpy()).max() < 1e-5
