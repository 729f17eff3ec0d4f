"""The held-out rule of the real-textured heads (09c_textured): no texture or background from the evaluation's media."""
import pytest

from meshreenact.evaluate import REAL_PHOTOS, REAL_CLIPS
from meshreenact.realdata import REAL_TRAIN
from meshreenact import textured as tx


def test_sources_avoid_held_out_media():
    # the oracle: evaluate's own lists of held-out media, and realdata's training frames
    used_photos = set(tx.TEXTURE_PHOTOS) | set(tx.BACKGROUND_PHOTOS)
    assert not used_photos & set(REAL_PHOTOS)
    for name, frames in {**tx.TEXTURE_CLIPS, **tx.BACKGROUND_CLIPS}.items():
        if name in REAL_CLIPS:
            assert name in REAL_TRAIN, name
            first, last = REAL_TRAIN[name]
            assert all(f >= first and (last is None or f < last) for f in frames), (name, list(frames))
    assert tx.held_out_uses({**tx.TEXTURE_CLIPS, **tx.BACKGROUND_CLIPS}, (*tx.TEXTURE_PHOTOS, *tx.BACKGROUND_PHOTOS)) == []


@pytest.mark.parametrize('photo', REAL_PHOTOS)
def test_guard_refuses_held_out_photos(photo):
    with pytest.raises(ValueError, match='held-out'): tx.check_sources({}, [photo])


def test_guard_refuses_held_out_frames():
    first, _ = REAL_TRAIN['WolfgangLanger_Pexels.mp4']
    with pytest.raises(ValueError, match='held-out'): tx.check_sources({'WolfgangLanger_Pexels.mp4': [first - 1]}, [])
    with pytest.raises(ValueError, match='held-out'): tx.check_sources({'single_face.mp4': [0]}, [])
    tx.check_sources({'WolfgangLanger_Pexels.mp4': [first]}, [])
