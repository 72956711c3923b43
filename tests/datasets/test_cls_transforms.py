import re

import cv2
import mmcv
import numpy as np
import pytest
import torch
from mmcv.transforms import CenterCrop as MMCVCenterCrop
from mmcv.transforms import LoadImageFromFile as MMCVLoadImageFromFile
from mmcv.transforms import RandomFlip as MMCVRandomFlip

from zoo.datasets.transforms import (ColorJitter, ImageDecodeError, LoadImageFromFile,
                                     PackClsInputs, RandomCrop, RandomResizedCrop, ResizeEdge)
from zoo.datasets.transforms.formatting import image_to_chw
from zoo.datasets.transforms.processing import RandomFlip
from zoo.registry import TRANSFORMS
from zoo.structures import ClsDataSample


def random_image(h, w, c=3, seed=0):
    shape = (h, w) if c is None else (h, w, c)
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


@pytest.mark.parametrize('name', [
    'LoadImageFromFile', 'CenterCrop', 'RandomFlip', 'Normalize', 'Resize', 'RandomResize',
    'RandomGrayscale', 'RandomCrop', 'RandomResizedCrop', 'ResizeEdge', 'ColorJitter',
    'PackClsInputs'
])
def test_found_by_plain_name_in_zoo_registry(name):
    assert TRANSFORMS.get(name) is not None
    assert name in TRANSFORMS.module_dict  # in zoo's own table, not only a parent's


def test_zoo_loader_is_a_mmcv_loader():
    assert TRANSFORMS.get('LoadImageFromFile') is LoadImageFromFile
    assert issubclass(LoadImageFromFile, MMCVLoadImageFromFile)
    assert TRANSFORMS.get('CenterCrop') is MMCVCenterCrop


def test_load_color_and_grayscale(tmp_path):
    img = random_image(20, 30)
    cv2.imwrite(str(tmp_path / 'a.png'), img)
    load = TRANSFORMS.build(dict(type='LoadImageFromFile'))
    results = load(dict(img_path=str(tmp_path / 'a.png')))
    np.testing.assert_array_equal(results['img'], img)
    assert results['img_shape'] == results['ori_shape'] == (20, 30)
    gray = LoadImageFromFile(color_type='grayscale')(dict(img_path=str(tmp_path / 'a.png')))
    assert gray['img'].shape == (20, 30) and gray['img'].dtype == np.uint8


@pytest.mark.parametrize('backend', ['cv2', 'pillow'])
def test_undecodable_image_names_file(tmp_path, backend):
    path = tmp_path / 'broken.jpg'
    path.write_bytes(b'this is not a JPEG')
    load = LoadImageFromFile(imdecode_backend=backend)
    with pytest.raises(ImageDecodeError, match=f'cannot decode image file {re.escape(str(path))}'):
        load(dict(img_path=str(path)))
    assert LoadImageFromFile(ignore_empty=True)(dict(img_path=str(path))) is None


def test_missing_image_names_file(tmp_path):
    path = tmp_path / 'gone.png'
    with pytest.raises(FileNotFoundError, match=f'image file not found: {re.escape(str(path))}'):
        LoadImageFromFile()(dict(img_path=str(path)))


@pytest.mark.parametrize('scale, expected', [(24, (24, 24)), ((24, 20), (24, 20))])
@pytest.mark.parametrize('channels', [3, None])
def test_random_resized_crop_shape(scale, expected, channels):
    transform = TRANSFORMS.build(dict(type='RandomResizedCrop', scale=scale))
    results = transform(dict(img=random_image(32, 48, channels)))
    assert results['img'].shape[:2] == expected == results['img_shape']
    assert results['img'].ndim == (3 if channels else 2)
    assert results['img'].dtype == np.uint8


def test_random_resized_crop_is_deterministic_under_a_seed():
    img = random_image(32, 32)
    transform = RandomResizedCrop(scale=16)

    def run(seed):
        np.random.seed(seed)
        return [transform(dict(img=img.copy()))['img'] for _ in range(3)]

    first, again, other = run(0), run(0), run(1)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, b) for a, b in zip(first, other))


def test_random_resized_crop_params_follow_the_ranges():
    transform = RandomResizedCrop(
        scale=8, crop_ratio_range=(0.25, 0.5), aspect_ratio_range=(0.5, 2.0))
    img = np.zeros((100, 100), np.uint8)
    np.random.seed(0)
    for _ in range(50):
        top, left, h, w = transform.rand_crop_params(img)
        assert 0 <= top and top + h <= 100 and 0 <= left and left + w <= 100
        assert 0.2 <= h * w / 1e4 <= 0.55
        assert 0.45 <= w / h <= 2.2


def test_random_resized_crop_falls_back_to_central_crop():
    # No attempts: a 10 x 40 image (ratio 4) gets its central 10 x 13 part (ratio 4/3).
    img = random_image(10, 40)
    transform = RandomResizedCrop(scale=(10, 13), max_attempts=0, interpolation='nearest')
    np.testing.assert_array_equal(transform(dict(img=img))['img'], img[:, 13:26])


@pytest.mark.parametrize('kwargs, message', [
    (dict(scale=0), 'scale must be a positive int'),
    (dict(scale=8, crop_ratio_range=(0.5, 0.1)), 'crop_ratio_range must satisfy'),
    (dict(scale=8, aspect_ratio_range=(0, 1)), 'aspect_ratio_range must satisfy'),
    (dict(scale=8, interpolation='cubic'), "interpolation must be one of .* got 'cubic'"),
    (dict(scale=8, backend='torch'), "backend must be one of .* got 'torch'"),
])
def test_random_resized_crop_bad_options(kwargs, message):
    with pytest.raises(ValueError, match=message):
        RandomResizedCrop(**kwargs)


def test_random_crop_with_padding_as_the_cifar_recipe():
    img = random_image(32, 32)
    transform = TRANSFORMS.build(dict(type='RandomCrop', crop_size=32, padding=4))
    np.random.seed(0)
    windows = set()
    for _ in range(20):
        out = transform(dict(img=img.copy()))
        assert out['img'].shape == (32, 32, 3) and out['img_shape'] == (32, 32)
        padded = np.pad(img, ((4, 4), (4, 4), (0, 0)))
        # The output is a window of the zero-padded image.
        matches = [(t, left) for t in range(9) for left in range(9)
                   if np.array_equal(padded[t:t + 32, left:left + 32], out['img'])]
        assert matches
        windows.add(matches[0])
    assert len(windows) > 5
    np.random.seed(1)
    first = transform(dict(img=img.copy()))['img']
    np.random.seed(1)
    np.testing.assert_array_equal(transform(dict(img=img.copy()))['img'], first)


def test_random_crop_small_image():
    img = random_image(6, 10, None)
    out = RandomCrop((8, 8), pad_if_needed=True)(dict(img=img))['img']
    assert out.shape == (8, 8)
    with pytest.raises(
            ValueError, match=r'image \(6 x 10 after padding\) is smaller than '
            r'crop_size \(8, 8\)'):
        RandomCrop(8)(dict(img=img))
    with pytest.raises(ValueError, match="padding_mode must be one of .* got 'wrap'"):
        RandomCrop(8, padding_mode='wrap')


@pytest.mark.parametrize('edge, expected', [('short', (16, 32)), ('long', (8, 16)),
                                            ('width', (8, 16)), ('height', (16, 32))])
def test_resize_edge(edge, expected):
    results = TRANSFORMS.build(dict(type='ResizeEdge', scale=16, edge=edge))(
        dict(img=random_image(20, 40)))
    assert results['img'].shape == expected + (3, )
    assert results['img_shape'] == expected
    assert results['scale'] == expected[::-1]
    assert results['scale_factor'] == pytest.approx((expected[1] / 40, expected[0] / 20))
    with pytest.raises(ValueError, match="edge must be one of .* got 'middle'"):
        ResizeEdge(16, edge='middle')


def test_resize_edge_then_center_crop_as_imagenet_test():
    pipeline = [
        TRANSFORMS.build(dict(type='ResizeEdge', scale=24)),
        TRANSFORMS.build(dict(type='CenterCrop', crop_size=20))
    ]
    results = dict(img=random_image(30, 50))
    for t in pipeline:
        results = t(results)
    assert results['img'].shape == (20, 20, 3)


def test_color_jitter_keeps_shape_and_range():
    img = random_image(16, 16)
    transform = TRANSFORMS.build(
        dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1))
    np.random.seed(0)
    out = transform(dict(img=img.copy()))['img']
    assert out.shape == img.shape and out.dtype == np.uint8
    assert not np.array_equal(out, img)
    np.random.seed(0)
    np.testing.assert_array_equal(transform(dict(img=img.copy()))['img'], out)
    # No strength: the image is unchanged.
    np.testing.assert_array_equal(ColorJitter()(dict(img=img.copy()))['img'], img)


def test_color_jitter_factors_do_what_they_say():
    img = random_image(8, 8)
    black = ColorJitter(brightness=(0., 0.))(dict(img=img.copy()))['img']
    assert black.max() == 0
    gray = ColorJitter(saturation=(0., 0.))(dict(img=img.copy()))['img']
    assert np.abs(gray.astype(int) - gray[..., :1]).max() <= 1
    flat = ColorJitter(contrast=(0., 0.))(dict(img=img.copy()))['img']
    assert flat.min() == flat.max() == round(mmcv.bgr2gray(img).mean())
    # A hue shift of a third of the circle turns pure red (BGR) into green, as torchvision's.
    red = np.zeros((2, 2, 3), np.uint8)
    red[..., 2] = 255
    shifted = ColorJitter(hue=(1 / 3, 1 / 3))(dict(img=red))['img']
    assert shifted[0, 0].argmax() == 1 and shifted[0, 0, 1] >= 250
    shifted = ColorJitter(hue=(-1 / 3, -1 / 3))(dict(img=red))['img']
    assert shifted[0, 0].argmax() == 0 and shifted[0, 0, 0] >= 250  # blue


@pytest.mark.parametrize('shape', [(12, 12), (12, 12, 1)])
def test_color_jitter_grayscale(shape):
    img = random_image(12, 12, None).reshape(shape)
    np.random.seed(0)
    out = ColorJitter(
        brightness=0.5, contrast=0.5, saturation=0.5, hue=0.2)(dict(img=img.copy()))['img']
    assert out.shape == shape and out.dtype == np.uint8


@pytest.mark.parametrize('kwargs, error', [(dict(hue=0.6), ValueError),
                                           (dict(brightness=-1), ValueError),
                                           (dict(contrast='a lot'), TypeError)])
def test_color_jitter_bad_options(kwargs, error):
    with pytest.raises(error, match=list(kwargs)[0]):
        ColorJitter(**kwargs)


def test_color_jitter_needs_uint8():
    with pytest.raises(TypeError, match='uint8'):
        ColorJitter(brightness=0.2)(dict(img=np.zeros((4, 4, 3), np.float32)))


def test_pack_color_image():
    img = random_image(6, 10)
    packed = TRANSFORMS.build(dict(type='PackClsInputs'))(
        dict(
            img=img,
            gt_label=3,
            img_path='x.png',
            ori_shape=(6, 10),
            img_shape=(6, 10),
            flip=True,
            flip_direction='horizontal',
            unrelated='dropped'))
    inputs = packed['inputs']
    assert inputs.shape == (3, 6, 10) and inputs.dtype == torch.uint8
    assert inputs.is_contiguous()
    assert torch.equal(inputs, torch.from_numpy(img).permute(2, 0, 1))
    sample = packed['data_samples']
    assert isinstance(sample, ClsDataSample)
    assert sample.gt_label.tolist() == [3] and sample.gt_label.dtype == torch.int64
    assert sample.metainfo == dict(
        img_path='x.png',
        ori_shape=(6, 10),
        img_shape=(6, 10),
        flip=True,
        flip_direction='horizontal')


@pytest.mark.parametrize('args', [
    dict(prob=0.5, direction='horizontal'),
    dict(prob=[0.3, 0.3], direction=['horizontal', 'vertical']),
    dict(prob=0.6, direction=['horizontal', 'vertical', 'diagonal']),
    dict(prob=[0.1, 0.2, 0.7], direction=['horizontal', 'vertical', 'diagonal']),
    dict(prob=1.0),
    dict(prob=0.0),
])
def test_random_flip_draws_as_mmcvs(args):
    """zoo's RandomFlip (found by plain name) flips as mmcv's under every seed: the same
    direction, image, boxes and keys, and numpy's generator left in the same state."""
    assert TRANSFORMS.get('RandomFlip') is RandomFlip and issubclass(RandomFlip, MMCVRandomFlip)
    zoo_flip, mmcv_flip = RandomFlip(**args), MMCVRandomFlip(**args)
    img = random_image(6, 10)
    boxes = np.array([[1., 2., 5., 4.]], np.float32)
    for seed in range(200):
        outputs = []
        for flip in (zoo_flip, mmcv_flip):
            np.random.seed(seed)
            outputs.append((flip(dict(img=img, gt_bboxes=boxes.copy(),
                                      img_shape=(6, 10))), np.random.get_state()[2]))
        (ours, our_state), (theirs, their_state) = outputs
        assert our_state == their_state
        assert sorted(ours) == sorted(theirs)
        assert (ours['flip'], ours['flip_direction']) == (theirs['flip'], theirs['flip_direction'])
        assert np.array_equal(ours['img'], theirs['img'])
        assert np.array_equal(ours['gt_bboxes'], theirs['gt_bboxes'])
    with pytest.raises(AssertionError):
        RandomFlip(prob=1.5)  # mmcv's checks, as they are


def test_image_to_chw_equals_numpys_transpose_for_every_layout():
    """OpenCV's split (and cv2.flip for flipped views) gives numpy's transposing copy exactly:
    OpenCV's dtypes and others, 1-7 channels, flipped, cropped, strided, Fortran-order and
    empty views; mmcv's RandomFlip output in a pipeline packs as numpy would pack it."""
    rng = np.random.default_rng(0)
    for dtype in (np.uint8, np.int8, np.uint16, np.int16, np.int32, np.float32, np.float64,
                  np.float16, np.int64, bool):
        for channels in (1, 3, 4, 7):
            img = (rng.random((13, 17, channels)) * 100).astype(dtype)
            for view in (img, img[:, ::-1], img[::-1], img[::-1, ::-1], img[2:9, 3:11], img[:, ::2],
                         img[:, :, ::-1], np.asfortranarray(img), img[:0]):
                chw = image_to_chw(view)
                assert chw.dtype == view.dtype and chw.flags.c_contiguous
                assert np.array_equal(chw, view.transpose(2, 0, 1)), (dtype, view.strides)
    flip = TRANSFORMS.build(dict(type='RandomFlip', prob=1.0, direction='horizontal'))
    img = random_image(6, 10)
    flipped = flip(dict(img=img))
    assert flipped['img'].strides[1] < 0  # mmcv.imflip's view
    inputs = PackClsInputs()(flipped)['inputs']
    assert inputs.is_contiguous()
    assert torch.equal(inputs, torch.from_numpy(img[:, ::-1].transpose(2, 0, 1).copy()))


def test_pack_grayscale_and_unlabelled():
    img = random_image(5, 7, None)
    packed = PackClsInputs()(dict(img=img))
    assert packed['inputs'].shape == (1, 5, 7)
    assert torch.equal(packed['inputs'][0], torch.from_numpy(img))
    assert 'gt_label' not in packed['data_samples']


def test_pack_without_image():
    with pytest.raises(KeyError, match="needs the key 'img'.*img_path"):
        PackClsInputs()(dict(img_path='x.png'))
