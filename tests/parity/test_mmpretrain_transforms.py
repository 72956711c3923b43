"""zoo's recipe transforms give mmpretrain's output for the same random state."""
import numpy as np
import pytest

from tests.parity.peers import mmpretrain_build, seed_all, zoo_build

HPARAMS = dict(pad_val=[104, 116, 124], interpolation='bicubic')

# The pipeline steps of mmpretrain 1.2.0's recipes for zoo's families (every distinct argument
# set that tests/parity/mmpretrain_sweep.py finds there), plus the defaults.
RECIPE_STEPS = [
    dict(
        type='RandAugment',
        policies='timm_increasing',
        num_policies=2,
        total_level=10,
        magnitude_level=9,
        magnitude_std=0.5,
        hparams=HPARAMS),
    dict(
        type='RandAugment',
        policies='timm_increasing',
        num_policies=2,
        total_level=10,
        magnitude_level=6,
        magnitude_std=0.5,
        hparams=HPARAMS),
    dict(
        type='RandAugment',
        policies='simple_increasing',
        num_policies=3,
        magnitude_level=7,
        magnitude_std='inf'),
    dict(type='AutoAugment', policies='imagenet', hparams=dict(pad_val=[104, 116, 124])),
    dict(type='AutoAugment', policies='imagenet', hparams=HPARAMS),
    dict(
        type='RandomErasing',
        erase_prob=0.25,
        mode='rand',
        min_area_ratio=0.02,
        max_area_ratio=1 / 3,
        fill_color=[103.53, 116.28, 123.675],
        fill_std=[57.375, 57.12, 58.395]),
    dict(type='RandomErasing', erase_prob=0.9, mode='rand'),
    dict(type='RandomErasing', erase_prob=0.9, mode='const', aspect_range=0.5),
    dict(type='RandomResizedCrop', scale=224, backend='pillow', interpolation='bicubic'),
    dict(type='RandomResizedCrop', scale=224),
    dict(type='ResizeEdge', scale=256, edge='short', backend='pillow', interpolation='bicubic'),
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='CenterCrop', crop_size=224),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='Resize', scale=384, backend='pillow', interpolation='bicubic'),
]

# Every policy operation, alone, with a fixed strength and with a drawn one.
OPERATIONS = [
    dict(type='Shear', magnitude=0.3, direction='vertical'),
    dict(type='Shear', magnitude_range=(0, 0.3), magnitude_level=7, magnitude_std=0.5),
    dict(type='Translate', magnitude=0.2, pad_val=(1, 2, 3)),
    dict(type='Translate', magnitude_range=(0, 0.45), direction='vertical'),
    dict(type='Rotate', angle=20., interpolation='bicubic'),
    dict(type='Rotate', magnitude_range=(0, 30), magnitude_std='inf', scale=1.2),
    dict(type='AutoContrast'),
    dict(type='Invert'),
    dict(type='Equalize'),
    dict(type='Solarize', thr=100),
    dict(type='Solarize', magnitude_range=(256, 0)),
    dict(type='SolarizeAdd', magnitude=50),
    dict(type='SolarizeAdd', magnitude_range=(0, 110)),
    dict(type='Posterize', bits=3),
    dict(type='Posterize', magnitude_range=(4, 0)),
    dict(type='Contrast', magnitude=0.5),
    dict(type='Contrast', magnitude_range=(0, 0.9)),
    dict(type='ColorTransform', magnitude=0.5),
    dict(type='ColorTransform', magnitude_range=(0, 0.9)),
    dict(type='Brightness', magnitude=0.5),
    dict(type='Brightness', magnitude_range=(0, 0.9)),
    dict(type='Sharpness', magnitude=0.5),
    dict(type='Sharpness', magnitude_range=(0, 0.9)),
    dict(type='Cutout', shape=8),
    dict(type='Cutout', magnitude_range=(0, 20)),
    dict(type='GaussianBlur', radius=1.5),
    dict(type='GaussianBlur', magnitude_range=(0.1, 2)),
]


def _images(count: int):
    rng = np.random.default_rng(0)
    for i in range(count):
        h, w = rng.integers(40, 90, size=2)
        yield rng.integers(0, 256, (h, w, 3), dtype=np.uint8)


def _assert_same(cfg: dict, seeds: int) -> None:
    ours = zoo_build('TRANSFORMS', cfg)
    peer = mmpretrain_build('TRANSFORMS', cfg)
    for seed, img in enumerate(_images(seeds)):
        seed_all(seed)
        expected = peer(dict(img=img.copy(), img_shape=img.shape[:2]))
        after_peer = np.random.get_state()[1].copy()
        seed_all(seed)
        actual = ours(dict(img=img.copy(), img_shape=img.shape[:2]))
        # the same draws: both leave numpy's generator in the same state
        assert np.array_equal(np.random.get_state()[1], after_peer), (cfg, seed)
        assert actual['img'].dtype == expected['img'].dtype
        np.testing.assert_array_equal(actual['img'], expected['img'], err_msg=f'{cfg} seed {seed}')


@pytest.mark.parametrize('cfg', RECIPE_STEPS, ids=lambda c: c['type'])
def test_recipe_step_equals_mmpretrain(cfg):
    _assert_same(cfg, seeds=16)


@pytest.mark.parametrize('cfg', OPERATIONS, ids=lambda c: c['type'])
def test_policy_operation_equals_mmpretrain(cfg):
    _assert_same(dict(cfg, prob=0.7), seeds=6)


def test_pack_inputs_equals_mmpretrain():
    img = next(_images(1))
    results = dict(
        img=img,
        gt_label=3,
        img_path='a.jpg',
        ori_shape=img.shape[:2],
        img_shape=img.shape[:2],
        extra=7)
    cfg = dict(type='PackInputs', algorithm_keys=('extra', ))
    ours = zoo_build('TRANSFORMS', cfg)(dict(results))
    peer = mmpretrain_build('TRANSFORMS', cfg)(dict(results))
    assert ours['inputs'].equal(peer['inputs'])
    assert ours['data_samples'].gt_label.equal(peer['data_samples'].gt_label)
    assert ours['data_samples'].extra == peer['data_samples'].extra == 7
    assert ours['data_samples'].metainfo == peer['data_samples'].metainfo
    assert zoo_build('TRANSFORMS',
                     dict(type='PackClsInputs')).__class__ is type(zoo_build('TRANSFORMS', cfg))


def test_hparams_reach_only_operations_that_take_them():
    transform = zoo_build('TRANSFORMS', RECIPE_STEPS[0])
    shear = [t for t in transform.transforms if type(t).__name__ == 'Shear'][0]
    assert shear.pad_val == (104, 116, 124) and shear.interpolation == 'bicubic'
    assert shear.magnitude_level == 9 and shear.magnitude_std == 0.5
    solarize = [t for t in transform.transforms if type(t).__name__ == 'Solarize'][0]
    assert not hasattr(solarize, 'pad_val')


@pytest.mark.parametrize('cfg, match', [
    (dict(type='AutoAugment', policies='cifar10'), "AutoAugment: unknown policies 'cifar10'.*"
     "'imagenet'"),
    (dict(type='RandAugment', policies='rand', num_policies=2,
          magnitude_level=9), 'RandAugment: unknown policies.*timm_increasing'),
    (dict(
        type='RandAugment',
        policies='timm_increasing',
        num_policies=2,
        magnitude_level=9,
        magnitude_std='big'), 'magnitude_std must be a number or "inf"'),
    (dict(type='Rotate'), 'Rotate: give exactly one of angle and magnitude_range'),
    (dict(type='Shear', magnitude=0.1, direction='diagonal'), 'Shear: direction must be'),
    (dict(type='RandomErasing', mode='noise'), "RandomErasing: mode must be one of.*'rand'"),
])
def test_unsupported_options_name_component_and_choices(cfg, match):
    with pytest.raises((ValueError, KeyError), match=match):
        zoo_build('TRANSFORMS', cfg)
