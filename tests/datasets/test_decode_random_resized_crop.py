"""DecodeRandomResizedCrop against LoadImageFromFile + RandomResizedCrop on real JPEG/PNG files:
the same crop boxes for the same numpy seed, bit-identical output where no reduction applies,
a small pixel difference (and comparable quality) where the JPEG is decoded at 1/2-1/4 size,
the right output size, dtype and keys, EXIF orientation, and errors that name the file."""
import io

import cv2
import numpy as np
import pytest
from PIL import Image

from zoo.datasets.transforms import (DecodeRandomResizedCrop, ImageDecodeError, LoadImageFromFile,
                                     RandomResizedCrop)
from zoo.registry import TRANSFORMS

SEEDS = range(12)


def smooth_image(height: int, width: int, seed: int = 0) -> np.ndarray:
    """A photo-like smooth BGR image: a coarse random field upsampled bicubically."""
    coarse = np.random.default_rng(seed).integers(0, 256, (9, 12, 3)).astype(np.uint8)
    return cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC)


def write(path, img: np.ndarray) -> str:
    ok, encoded = cv2.imencode(path.suffix, img, [cv2.IMWRITE_JPEG_QUALITY, 95])
    assert ok
    path.write_bytes(encoded.tobytes())
    return str(path)


class RecordingCrop(DecodeRandomResizedCrop):
    """Records the boxes it draws (the real draw, from the header's size)."""

    def crop_params_for_size(self, h, w):
        box = super().crop_params_for_size(h, w)
        self.boxes.append(box)
        return box


def two_paths(path: str, seed: int, fused: DecodeRandomResizedCrop, **crop_args):
    """(LoadImageFromFile + RandomResizedCrop output, fused output, the box drawn by the first),
    each from ``np.random.seed(seed)``, checking that both used the same random numbers."""
    load, crop = LoadImageFromFile(), RandomResizedCrop(**crop_args)
    np.random.seed(seed)
    loaded = load(dict(img_path=path))
    box = crop.rand_crop_params(loaded['img'])
    np.random.seed(seed)
    reference = crop(load(dict(img_path=path)))
    state = random_state()
    np.random.seed(seed)
    out = fused(dict(img_path=path))
    assert random_state() == state  # as many numbers drawn
    return reference, out, box


def random_state():
    """numpy's global generator: its key and its position in the key."""
    _, key, position, *_ = np.random.get_state()
    return key.tolist(), position


def test_no_reduction_is_bit_identical(tmp_path):
    """A 500x375 photo: a 224 crop is never 448 px tall, so nothing is reduced."""
    path = write(tmp_path / 'photo.jpg', smooth_image(375, 500))
    fused = RecordingCrop(scale=224)
    fused.boxes = []
    for seed in SEEDS:
        reference, out, box = two_paths(path, seed, fused, scale=224)
        assert fused.boxes[-1] == box
        assert fused.reduction(*box[2:]) == 1
        assert np.array_equal(out['img'], reference['img'])
        assert out['img_shape'] == reference['img_shape'] == (224, 224)
        assert out['ori_shape'] == reference['ori_shape'] == (375, 500)


def test_reduced_decode_same_boxes_small_difference(tmp_path):
    img = smooth_image(1200, 1600)
    path = write(tmp_path / 'large.jpg', img)
    full = cv2.imread(path)
    fused = RecordingCrop(scale=224)
    fused.boxes = []
    reductions, differences, errors_reduced, errors_full = [], [], [], []
    for seed in SEEDS:
        reference, out, (top, left, height, width) = two_paths(path, seed, fused, scale=224)
        assert fused.boxes[-1] == (top, left, height, width)
        assert out['img'].shape == (224, 224, 3) and out['img'].dtype == np.uint8
        assert out['ori_shape'] == (1200, 1600) and out['img_shape'] == (224, 224)
        k = fused.reduction(height, width)
        assert height >= k * 224 and width >= k * 224
        reductions.append(k)
        differences.append(np.abs(out['img'].astype(float) - reference['img']).mean())
        # the quality reference: an area (box-filter) downscale of the exact crop
        ideal = cv2.resize(
            full[top:top + height, left:left + width], (224, 224),
            interpolation=cv2.INTER_AREA).astype(float)
        errors_reduced.append(np.abs(out['img'] - ideal).mean())
        errors_full.append(np.abs(reference['img'] - ideal).mean())
    assert set(reductions) >= {2, 4}, reductions  # with these seeds both occur
    assert max(differences) < 2.0, differences  # grey levels out of 255, on a smooth image
    assert np.mean(errors_reduced) < np.mean(errors_full) + 1.0, (errors_reduced, errors_full)
    off = DecodeRandomResizedCrop(scale=224, max_reduction=1)
    for seed in SEEDS:  # max_reduction=1 is the two transforms, bit for bit
        reference, out, _ = two_paths(path, seed, off, scale=224)
        assert np.array_equal(out['img'], reference['img'])


def test_reduction_choice():
    crop = DecodeRandomResizedCrop(scale=(100, 200))  # (height, width)
    assert crop.reduction(99, 1000) == 1
    assert crop.reduction(200, 400) == 2
    assert crop.reduction(450, 450) == 2  # the width decides
    assert crop.reduction(900, 1700) == 8
    assert DecodeRandomResizedCrop(scale=100, max_reduction=2).reduction(900, 900) == 2


def test_rectangular_grayscale_float(tmp_path):
    path = write(tmp_path / 'large.jpg', smooth_image(1200, 1600))
    for seed in SEEDS[:4]:
        np.random.seed(seed)
        crop = DecodeRandomResizedCrop(scale=(96, 128), color_type='grayscale', to_float32=True)
        out = crop(dict(img_path=path))
        assert out['img'].shape == (96, 128) and out['img'].dtype == np.float32
        assert out['img_shape'] == (96, 128)


def test_png_and_exif_orientation(tmp_path):
    png = write(tmp_path / 'photo.png', smooth_image(900, 1200))
    for seed in SEEDS[:4]:  # not a JPEG: decoded in full, the two transforms exactly
        reference, out, _ = two_paths(png, seed, DecodeRandomResizedCrop(scale=224), scale=224)
        assert np.array_equal(out['img'], reference['img'])
    # a 1200x900 JPEG whose EXIF says "rotate 90": OpenCV decodes it 900 wide, 1200 tall
    buffer = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(smooth_image(900, 1200)[..., ::-1]).save(
        buffer, format='JPEG', quality=95, exif=exif)
    rotated = tmp_path / 'rotated.jpg'
    rotated.write_bytes(buffer.getvalue())
    for seed in SEEDS[:4]:
        reference, out, _ = two_paths(
            str(rotated), seed, DecodeRandomResizedCrop(scale=224), scale=224)
        assert reference['ori_shape'] == out['ori_shape'] == (1200, 900)
        assert np.abs(out['img'].astype(float) - reference['img']).mean() < 2.0


def test_errors_name_the_file(tmp_path):
    fused = DecodeRandomResizedCrop(scale=224)
    missing = str(tmp_path / 'missing.jpg')
    with pytest.raises(FileNotFoundError, match='missing.jpg'):
        fused(dict(img_path=missing))
    broken = tmp_path / 'broken.jpg'
    broken.write_bytes(b'not an image at all')
    with pytest.raises(ImageDecodeError, match='broken.jpg'):
        fused(dict(img_path=str(broken)))
    lenient = DecodeRandomResizedCrop(scale=224, ignore_empty=True)
    assert lenient(dict(img_path=missing)) is None
    assert lenient(dict(img_path=str(broken))) is None
    with pytest.raises(ValueError, match='max_reduction'):
        DecodeRandomResizedCrop(scale=224, max_reduction=3)
    with pytest.raises(ValueError, match='color_type'):
        DecodeRandomResizedCrop(scale=224, color_type='unchanged')


def test_builds_by_name_in_a_pipeline(tmp_path):
    path = write(tmp_path / 'photo.jpg', smooth_image(375, 500))
    crop = TRANSFORMS.build(dict(type='DecodeRandomResizedCrop', scale=224))
    assert isinstance(crop, DecodeRandomResizedCrop)
    assert 'max_reduction=8' in repr(crop)
    pack = TRANSFORMS.build(dict(type='PackInputs'))
    packed = pack(crop(dict(img_path=path, gt_label=1)))
    assert packed['inputs'].shape == (3, 224, 224)
    assert packed['data_samples'].ori_shape == (375, 500)
