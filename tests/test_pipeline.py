"""Bad input at every entry point of `meshreenact reenact` (pipeline.reenact_files), with real files: one clear line on
stderr, exit code 1, no traceback, nothing half-written. Also the odd-but-valid inputs (grayscale, RGBA, 16-bit,
several faces) that must work, and a video driver whose audio is copied through. Real dlib, real sample media."""
import contextlib, io, struct, zlib
from pathlib import Path

import numpy as np
import pytest

av = pytest.importorskip('av')
pytest.importorskip('dlib')
import imageio.v3 as iio

from meshreenact.cli import main
from meshreenact.assets import sample_media


@pytest.fixture(scope='module')
def media():
    return sample_media(verbose=False)


def run(*argv):
    "main() in this process: (exit code, stdout, stderr)."
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err): rc = main(['reenact', *map(str, argv), '-q'])
    return rc, out.getvalue(), err.getvalue()


def assert_refused(rc, err, contains, folder):
    lines = err.strip().splitlines()
    assert rc == 1, err
    assert len(lines) == 1 and 'Traceback' not in err, err
    assert contains in lines[0], lines[0]
    assert not [p for p in Path(folder).rglob('*') if p.is_file()], list(Path(folder).rglob('*'))   # nothing left behind


def png_header(path: Path, width: int, height: int) -> Path:
    "A PNG whose header claims width x height (one empty IDAT): enough for a reader that looks at the header first."
    chunk = lambda kind, data: struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data) & 0xffffffff)
    ihdr = struct.pack('>IIBBBBB', width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', ihdr) + chunk(b'IDAT', zlib.compress(b'')) + chunk(b'IEND', b''))
    return path


@pytest.fixture
def out(tmp_path):
    d = tmp_path / 'out'; d.mkdir(); return d


def test_no_face(media, out):
    assert_refused(*run('--source', media['free-mountain-vector-01.jpg'], '--driving', media['single_face.jpg'], '-o', out / 'x.png')[::2],
                   'no face found', out)


def test_several_faces_largest_with_warning_and_face_n(media, out):
    rc, so, err = run('--source', media['multi_face.jpg'], '--driving', media['single_face.jpg'], '-o', out / 'a.png')
    assert rc == 0 and '4 faces found, using the largest' in err and '--face N' in err and (out / 'a.png').exists()
    rc, so, err = run('--source', media['multi_face.jpg'], '--driving', media['single_face.jpg'], '-o', out / 'b.png', '--face', '2')
    assert rc == 0 and not err and (out / 'b.png').exists()
    assert not np.array_equal(iio.imread(out / 'a.png'), iio.imread(out / 'b.png'))    # another face of the photo
    rc, so, err = run('--source', media['multi_face.jpg'], '--driving', media['single_face.jpg'], '-o', out / 'c.png', '--face', '9')
    assert rc == 1 and 'face 9 asked for, but 4 face(s) found' in err and not (out / 'c.png').exists()


def test_grayscale_rgba_16bit(media, out, tmp_path):
    face = iio.imread(media['single_face.jpg'])
    gray = (face @ np.array([0.299, 0.587, 0.114])).round().astype(np.uint8)
    iio.imwrite(tmp_path / 'gray.jpg', gray); iio.imwrite(tmp_path / 'gray16.png', gray.astype(np.uint16) * 257)
    assert iio.imread(tmp_path / 'gray16.png').dtype == np.uint16
    assert iio.imread(media['Image_with_alpha.png']).shape[2] == 4
    for src in (tmp_path / 'gray.jpg', tmp_path / 'gray16.png', media['Image_with_alpha.png']):
        rc, so, err = run('--source', src, '--driving', media['0-f1-su-ph.jpg'], '-o', out / f'{Path(src).stem}.png')
        assert rc == 0, err
        assert iio.imread(out / f'{Path(src).stem}.png').shape == (64, 64, 3)


def test_tiny_huge_corrupt_nonimage_missing(media, out, tmp_path):
    iio.imwrite(tmp_path / 'tiny.png', np.zeros((20, 20, 3), np.uint8))
    png_header(tmp_path / 'huge.png', 20000, 20000)
    (tmp_path / 'corrupt.png').write_bytes(b'\x89PNG\r\n\x1a\n' + bytes(np.random.default_rng(0).integers(0, 256, 4000, dtype=np.uint8)))
    (tmp_path / 'truncated.jpg').write_bytes(Path(media['single_face.jpg']).read_bytes()[:3000])
    (tmp_path / 'notes.jpg').write_text('these are my notes, not a photo')
    drv = media['single_face.jpg']
    cases = [('tiny.png', 'too small'), ('huge.png', 'larger than'), ('corrupt.png', 'tmp'), ('truncated.jpg', 'truncated.jpg'),
             ('notes.jpg', 'not an image file'), ('missing.jpg', 'no such image file')]
    for name, msg in cases:
        rc, so, err = run('--source', tmp_path / name, '--driving', drv, '-o', out / 'x.png')
        assert_refused(rc, err, msg, out)
        assert str(tmp_path / name) in err, err                                     # the line names the file
    assert_refused(*run('--source', drv, '--driving', tmp_path / 'missing.mp4', '-o', out / 'x.mp4')[::2], 'no such video file', out)


def test_corrupt_and_faceless_video(media, out, tmp_path):
    (tmp_path / 'noise.mp4').write_bytes(bytes(np.random.default_rng(1).integers(0, 256, 20000, dtype=np.uint8)))
    (tmp_path / 'cut.mp4').write_bytes(Path(media['single_face.mp4']).read_bytes()[:20000])    # no index: cannot be opened
    src = media['single_face.jpg']
    for name in ('noise.mp4', 'cut.mp4'):
        assert_refused(*run('--source', src, '--driving', tmp_path / name, '-o', out / 'x.mp4')[::2], 'cannot', out)
    assert_refused(*run('--source', src, '--driving', media['no_face.mp4'], '-o', out / 'x.mp4', '--max-frames', '6')[::2],
                   'no face found in any of the 6 frames', out)


def test_output_paths(media, out):
    src, drv = media['single_face.jpg'], media['0-f1-su-ph.jpg']
    assert_refused(*run('--source', src, '--driving', drv, '-o', out / 'missing' / 'x.png')[::2], 'does not exist', out)
    assert_refused(*run('--source', src, '--driving', drv, '-o', out / 'x.mp4')[::2], 'must end in', out)
    assert_refused(*run('--source', src, '--driving', media['single_face.mp4'], '-o', out / 'x.png')[::2], 'must end in .mp4', out)
    assert_refused(*run('--source', src, drv, '--driving', drv, '-o', out / 'x.png')[::2], 'need an output folder', out)
    assert_refused(*run('--source', src, '--driving', drv, '-o', out / 'x.png', '--relative')[::2], 'needs video drivers', out)


def test_video_driver_keeps_its_audio(media, out):
    rc, so, err = run('--source', media['0-f1-su-ph.jpg'], '--driving', media['single_face.mp4'], '-o', out / 'v.mp4', '--max-frames', '12')
    assert rc == 0, err
    with av.open(str(out / 'v.mp4')) as c:
        assert sum(1 for _ in c.decode(video=0)) == 12
        a = c.streams.audio
        assert a and a[0].codec_context.name.startswith('mp3')                     # copied as it was: mp3
        assert 0.3 < float(a[0].duration * a[0].time_base) < 0.6                   # cut to the 12 frames (0.4 s at 30 fps)
    assert [p.name for p in out.iterdir()] == ['v.mp4']
