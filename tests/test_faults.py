"""Fault injection (issue 14): each test provokes one way a user's work or a cache can be damaged and checks that the
damage is named, repaired or refused before any work, and that nothing good is lost. Real files, the real BFM and the
real dlib detector; mocks only where a real part cannot provoke the failure (a broken triangulation, a decoder that
must not be reached). Each test fails on the code before the fix."""
import hashlib, logging, os, shutil, warnings
from pathlib import Path

import numpy as np
import pytest
import torch

from meshreenact import morphable, video
from meshreenact.cli import main
from meshreenact.video import crop_clip, sample_media


@pytest.fixture(scope='module')
def media():
    return sample_media(verbose=False)


@pytest.fixture
def bfm_cache(tmp_path, monkeypatch):
    "A private cache holding links to the real BFM arrays (and the shared cache's derived topology, when there)."
    real = morphable.bfm_dir()
    morphable.fetch_bfm(verbose=False)
    (tmp_path / 'bfm').mkdir()
    for p in real.iterdir():
        if p.suffix in ('.npy', '.pkl') and not p.name.startswith('triangles'): os.symlink(p, tmp_path / 'bfm' / p.name)
    monkeypatch.setenv('MESHREENACT_CACHE', str(tmp_path))
    return tmp_path / 'bfm'


# --- crop cache -------------------------------------------------------------------------------------------------

def _clip(media, cache):
    return crop_clip(media['single_face.mp4'], size=64, step=10, max_frames=4, cache=cache)


def test_crop_cache_damaged_meta_is_named_and_rebuilt(media, tmp_path, caplog):
    c = _clip(media, tmp_path)
    first = [c.image(i) for i in range(len(c))]
    (c.folder / 'meta.json').write_text('{"name": "single_face", "frames": [\x01')        # a torn write
    with caplog.at_level(logging.WARNING, logger='meshreenact.video'):
        c2 = _clip(media, tmp_path)
    assert str(c.folder / 'meta.json') in caplog.text and 'rebuilding' in caplog.text
    assert all((c2.image(i) == x).all() for i, x in enumerate(first))


def test_crop_cache_truncated_frame_is_named_and_rebuilt(media, tmp_path, caplog):
    c = _clip(media, tmp_path)
    good = c.image(1)
    data = c.frames[1].read_bytes(); c.frames[1].write_bytes(data[: len(data) // 2])       # a cut-off PNG
    with caplog.at_level(logging.WARNING, logger='meshreenact.video'):
        c2 = _clip(media, tmp_path)
    assert str(c.frames[1]) in caplog.text and 'damaged' in caplog.text
    assert (c2.image(1) == good).all()


# --- the derived topology ---------------------------------------------------------------------------------------

def test_topology_cache_with_wrong_triangles_is_named_and_derived_again(bfm_cache):
    good = morphable.load_bfm(verbose=False).triangles.numpy()                             # derived into the private cache
    arrays = morphable.read_bfm_arrays(bfm_cache)
    path = next(bfm_cache.glob('triangles-*'))
    rnd = np.random.default_rng(0).integers(0, len(arrays['mean']), good.shape)            # in range, right shape
    if path.suffix == '.npz':   # keep the stored checksum of the good triangles: the data itself is what changed
        np.savez(path, triangles=rnd, sha256=str(np.load(path)['sha256']))
    else: np.save(path, rnd)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter('always')
        tri = morphable.load_bfm(verbose=False).triangles.numpy()
    assert np.array_equal(tri, good)
    assert morphable.mesh_report(tri, len(arrays['mean']))['nonmanifold_vertices'] == 0
    assert any(str(path) in str(x.message) for x in w), [str(x.message) for x in w]


def test_bfm_command_fails_on_a_broken_mesh(monkeypatch, capsys):
    real = morphable.bfm_triangles
    def broken(mean, verbose=True):                    # a triangulation bug real data cannot provoke
        tri = real(mean, verbose)
        return np.random.default_rng(0).integers(0, len(mean), tri.shape)
    monkeypatch.setattr(morphable, 'bfm_triangles', broken)
    assert main(['bfm']) == 1
    err = capsys.readouterr().err
    assert 'not one clean disc' in err and 'nonmanifold' in err and len(err.strip().splitlines()) == 1


def test_bfm_checksum_failure_names_the_file(tmp_path, monkeypatch):
    real = morphable.bfm_dir()
    morphable.fetch_bfm(verbose=False)
    shutil.copytree(real, tmp_path / 'bfm', ignore=shutil.ignore_patterns('triangles*'))
    bad = tmp_path / 'bfm' / 'u_exp.npy'
    data = bytearray(bad.read_bytes()); data[500] ^= 0xFF; bad.write_bytes(bytes(data))   # one flipped byte
    monkeypatch.setenv('MESHREENACT_CACHE', str(tmp_path))
    (tmp_path / 'nothing').mkdir()
    monkeypatch.setenv('PIP_NO_INDEX', '1'); monkeypatch.setenv('PIP_FIND_LINKS', str(tmp_path / 'nothing'))   # offline
    with pytest.raises(morphable.AssetError) as e: morphable.fetch_bfm(verbose=False)
    assert f'{bad} (checksum' in str(e.value)


# --- images and the command line ---------------------------------------------------------------------------------

def test_huge_image_is_refused_from_its_header(tmp_path, monkeypatch):
    from PIL import Image
    import imageio.v3 as iio
    from meshreenact.regress import fit_photo
    path = tmp_path / 'wide.png'
    Image.new('L', (13_000, 40)).save(path)
    def no_decoding(*a, **k): raise AssertionError('the whole image was decoded')
    monkeypatch.setattr(iio, 'imread', no_decoding)
    with pytest.raises(ValueError, match=r'13000x40 px, larger than 12000'): fit_photo(None, path)


def test_demo_refuses_too_few_pairs_before_any_work(monkeypatch, capsys, tmp_path):
    def no_work(*a, **k): raise AssertionError('the demo started working')
    monkeypatch.setattr(morphable, 'load_bfm', no_work)
    assert main(['demo', '--pairs', '4', '--out', str(tmp_path)]) == 1
    assert '--pairs' in capsys.readouterr().err and not any(tmp_path.iterdir())
