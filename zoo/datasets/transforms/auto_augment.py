"""AutoAugment, RandAugment and the image operations their policies name, as mmpretrain's.

Every operation is one registered transform with mmpretrain's name and arguments (``Shear``,
``Rotate``, ``Posterize``...), so a policy written for mmpretrain builds here unchanged. Each
applies with probability ``prob``; its strength is either fixed (``magnitude``, ``angle``,
``thr``, ``bits``, ``shape``, ``radius``) or, inside RandAugment, drawn from
``magnitude_range`` at ``magnitude_level`` of ``total_level`` (jittered by ``magnitude_std``),
and signed operations flip its sign with ``random_negative_prob``. The draws use numpy's
global generator in mmpretrain's order, so the same seed gives mmpretrain's output. The image
arithmetic is mmcv's (``mmcv.imshear``, ``mmcv.adjust_color``...), as in mmpretrain.
"""
import inspect
from copy import deepcopy
from math import ceil
from numbers import Number
from typing import List, Optional, Sequence, Tuple, Union

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform, Compose, RandomChoice
from mmcv.transforms.utils import cache_randomness
from PIL import Image, ImageFilter

from zoo.registry import TRANSFORMS

PadVal = Union[int, Sequence[int]]


class BaseAugTransform(BaseTransform):
    """The random switch and the magnitude draw that every policy operation shares.

    Args:
        magnitude_level: The strength level, out of ``total_level``.
        magnitude_range: ``(value at level 0, value at total_level)``; ``None`` when the
            operation has a fixed strength.
        magnitude_std: The std of a normal jitter of the level, or ``'inf'`` for a level drawn
            uniformly in ``[0, magnitude_level]``.
        total_level: The highest level.
        prob: The probability of applying the operation.
        random_negative_prob: The probability of negating a signed strength.
    """

    #: The name of the argument that fixes the strength (``None``: the operation has none).
    strength_arg: Optional[str] = None

    def __init__(self,
                 magnitude_level: float = 10,
                 magnitude_range: Optional[Tuple[float, float]] = None,
                 magnitude_std: Union[str, float] = 0.,
                 total_level: float = 10,
                 prob: float = 0.5,
                 random_negative_prob: float = 0.5):
        name = type(self).__name__
        if not 0 <= prob <= 1:
            raise ValueError(f'{name}: prob must be in [0, 1], got {prob!r}')
        if magnitude_range is not None and not (isinstance(magnitude_range, Sequence)
                                                and len(magnitude_range) == 2 and all(
                                                    isinstance(v, Number)
                                                    for v in magnitude_range)):
            raise ValueError(f'{name}: magnitude_range must be two numbers, '
                             f'got {magnitude_range!r}')
        if isinstance(magnitude_std, str) and magnitude_std != 'inf':
            raise ValueError(f'{name}: magnitude_std must be a number or "inf", '
                             f'got {magnitude_std!r}')
        self.magnitude_level = magnitude_level
        self.magnitude_range = magnitude_range
        self.magnitude_std = magnitude_std
        self.total_level = total_level
        self.prob = prob
        self.random_negative_prob = random_negative_prob

    def check_strength(self, value) -> None:
        """Exactly one of the fixed strength and ``magnitude_range`` must be given."""
        if (value is None) == (self.magnitude_range is None):
            raise ValueError(f'{type(self).__name__}: give exactly one of {self.strength_arg} '
                             f'and magnitude_range')

    @cache_randomness
    def random_disable(self) -> bool:
        return np.random.rand() > self.prob

    @cache_randomness
    def random_magnitude(self) -> float:
        magnitude = self.magnitude_level
        if self.magnitude_std == 'inf':
            magnitude = np.random.uniform(0, magnitude)
        elif self.magnitude_std > 0:
            magnitude = np.clip(
                np.random.normal(magnitude, self.magnitude_std), 0, self.total_level)
        low, high = self.magnitude_range
        return (magnitude / self.total_level) * (high - low) + low

    @cache_randomness
    def random_negative(self, value: float) -> float:
        return -value if np.random.rand() < self.random_negative_prob else value

    def strength(self, fixed: Optional[float], signed: bool) -> float:
        """This call's strength: ``fixed`` or a drawn one, negated at random when ``signed``."""
        value = fixed if fixed is not None else self.random_magnitude()
        return self.random_negative(value) if signed else value

    def apply(self, img: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def transform(self, results: dict) -> dict:
        if self.random_disable():
            return results
        img = results['img']
        results['img'] = self.apply(img).astype(img.dtype)
        return results

    def __repr__(self) -> str:
        fields = {k: v for k, v in vars(self).items() if not k.startswith('_')}
        return f'{type(self).__name__}({", ".join(f"{k}={v!r}" for k, v in fields.items())})'


def _pad_val(pad_val: PadVal) -> PadVal:
    return tuple(pad_val) if isinstance(pad_val, Sequence) else pad_val


def _check_direction(name: str, direction: str) -> str:
    if direction not in ('horizontal', 'vertical'):
        raise ValueError(f'{name}: direction must be "horizontal" or "vertical", '
                         f'got {direction!r}')
    return direction


@TRANSFORMS.register_module()
class Shear(BaseAugTransform):
    """Shear by ``magnitude`` (the shear factor) along ``direction`` (:func:`mmcv.imshear`)."""
    strength_arg = 'magnitude'

    def __init__(self,
                 magnitude: Optional[float] = None,
                 pad_val: PadVal = 128,
                 prob: float = 0.5,
                 direction: str = 'horizontal',
                 random_negative_prob: float = 0.5,
                 interpolation: str = 'bicubic',
                 **kwargs):
        super().__init__(prob=prob, random_negative_prob=random_negative_prob, **kwargs)
        self.check_strength(magnitude)
        self.magnitude = magnitude
        self.pad_val = _pad_val(pad_val)
        self.direction = _check_direction('Shear', direction)
        self.interpolation = interpolation

    def apply(self, img):
        return mmcv.imshear(
            img,
            self.strength(self.magnitude, signed=True),
            direction=self.direction,
            border_value=self.pad_val,
            interpolation=self.interpolation)


@TRANSFORMS.register_module()
class Translate(BaseAugTransform):
    """Shift by ``magnitude`` of the width or height (:func:`mmcv.imtranslate`)."""
    strength_arg = 'magnitude'

    def __init__(self,
                 magnitude: Optional[float] = None,
                 pad_val: PadVal = 128,
                 prob: float = 0.5,
                 direction: str = 'horizontal',
                 random_negative_prob: float = 0.5,
                 interpolation: str = 'nearest',
                 **kwargs):
        super().__init__(prob=prob, random_negative_prob=random_negative_prob, **kwargs)
        self.check_strength(magnitude)
        self.magnitude = magnitude
        self.pad_val = _pad_val(pad_val)
        self.direction = _check_direction('Translate', direction)
        self.interpolation = interpolation

    def apply(self, img):
        magnitude = self.strength(self.magnitude, signed=True)
        height, width = img.shape[:2]
        offset = magnitude * (width if self.direction == 'horizontal' else height)
        return mmcv.imtranslate(
            img,
            offset,
            direction=self.direction,
            border_value=self.pad_val,
            interpolation=self.interpolation)


@TRANSFORMS.register_module()
class Rotate(BaseAugTransform):
    """Rotate by ``angle`` degrees (:func:`mmcv.imrotate`)."""
    strength_arg = 'angle'

    def __init__(self,
                 angle: Optional[float] = None,
                 center: Optional[Tuple[float, float]] = None,
                 scale: float = 1.0,
                 pad_val: PadVal = 128,
                 prob: float = 0.5,
                 random_negative_prob: float = 0.5,
                 interpolation: str = 'nearest',
                 **kwargs):
        super().__init__(prob=prob, random_negative_prob=random_negative_prob, **kwargs)
        self.check_strength(angle)
        self.angle = angle
        self.center = center
        self.scale = scale
        self.pad_val = _pad_val(pad_val)
        self.interpolation = interpolation

    def apply(self, img):
        return mmcv.imrotate(
            img,
            self.strength(self.angle, signed=True),
            center=self.center,
            scale=self.scale,
            border_value=self.pad_val,
            interpolation=self.interpolation)


@TRANSFORMS.register_module()
class AutoContrast(BaseAugTransform):
    """Stretch each channel to the full range (:func:`mmcv.auto_contrast`)."""

    def apply(self, img):
        return mmcv.auto_contrast(img)


@TRANSFORMS.register_module()
class Invert(BaseAugTransform):
    """``255 - img`` (:func:`mmcv.iminvert`)."""

    def apply(self, img):
        return mmcv.iminvert(img)


@TRANSFORMS.register_module()
class Equalize(BaseAugTransform):
    """Equalize each channel's histogram (:func:`mmcv.imequalize`)."""

    def apply(self, img):
        return mmcv.imequalize(img)


@TRANSFORMS.register_module()
class Solarize(BaseAugTransform):
    """Invert the pixels at or above ``thr`` (:func:`mmcv.solarize`)."""
    strength_arg = 'thr'

    def __init__(self, thr: Optional[float] = None, prob: float = 0.5, **kwargs):
        super().__init__(prob=prob, random_negative_prob=0., **kwargs)
        self.check_strength(thr)
        self.thr = thr

    def apply(self, img):
        return mmcv.solarize(img, thr=self.strength(self.thr, signed=False))


@TRANSFORMS.register_module()
class SolarizeAdd(BaseAugTransform):
    """Add ``magnitude`` to the pixels below ``thr``, saturating at 255."""
    strength_arg = 'magnitude'

    def __init__(self,
                 magnitude: Optional[float] = None,
                 thr: float = 128,
                 prob: float = 0.5,
                 **kwargs):
        super().__init__(prob=prob, random_negative_prob=0., **kwargs)
        self.check_strength(magnitude)
        if isinstance(thr, bool) or not isinstance(thr, Number):
            raise TypeError(f'SolarizeAdd: thr must be a number, got {thr!r}')
        self.magnitude = magnitude
        self.thr = thr

    def apply(self, img):
        magnitude = self.strength(self.magnitude, signed=False)
        return np.where(img < self.thr, np.minimum(img + magnitude, 255), img)


@TRANSFORMS.register_module()
class Posterize(BaseAugTransform):
    """Keep the ``bits`` highest bits of each pixel (:func:`mmcv.posterize`)."""
    strength_arg = 'bits'

    def __init__(self, bits: Optional[int] = None, prob: float = 0.5, **kwargs):
        super().__init__(prob=prob, random_negative_prob=0., **kwargs)
        self.check_strength(bits)
        if bits is not None and not 0 <= bits <= 8:
            raise ValueError(f'Posterize: bits must be in [0, 8], got {bits!r}')
        self.bits = bits

    def apply(self, img):
        return mmcv.posterize(img, bits=ceil(self.strength(self.bits, signed=False)))


class _FactorTransform(BaseAugTransform):
    """An enhancement by the factor ``1 + magnitude`` (signed)."""
    strength_arg = 'magnitude'

    def __init__(self,
                 magnitude: Optional[float] = None,
                 prob: float = 0.5,
                 random_negative_prob: float = 0.5,
                 **kwargs):
        super().__init__(prob=prob, random_negative_prob=random_negative_prob, **kwargs)
        self.check_strength(magnitude)
        self.magnitude = magnitude

    def factor(self) -> float:
        return 1 + self.strength(self.magnitude, signed=True)


@TRANSFORMS.register_module()
class Contrast(_FactorTransform):
    """Contrast by ``1 + magnitude`` (:func:`mmcv.adjust_contrast`)."""

    def apply(self, img):
        return mmcv.adjust_contrast(img, factor=self.factor())


@TRANSFORMS.register_module()
class ColorTransform(_FactorTransform):
    """Saturation by ``1 + magnitude`` (:func:`mmcv.adjust_color`)."""

    def apply(self, img):
        return mmcv.adjust_color(img, alpha=self.factor())


@TRANSFORMS.register_module()
class Brightness(_FactorTransform):
    """Brightness by ``1 + magnitude`` (:func:`mmcv.adjust_brightness`)."""

    def apply(self, img):
        return mmcv.adjust_brightness(img, factor=self.factor())


@TRANSFORMS.register_module()
class Sharpness(_FactorTransform):
    """Sharpness by ``1 + magnitude`` (:func:`mmcv.adjust_sharpness`)."""

    def apply(self, img):
        return mmcv.adjust_sharpness(img, factor=self.factor())


@TRANSFORMS.register_module()
class Cutout(BaseAugTransform):
    """Fill a random ``shape`` box with ``pad_val`` (:func:`mmcv.cutout`)."""
    strength_arg = 'shape'

    def __init__(self,
                 shape: Union[int, Tuple[int, int], None] = None,
                 pad_val: PadVal = 128,
                 prob: float = 0.5,
                 **kwargs):
        super().__init__(prob=prob, random_negative_prob=0., **kwargs)
        self.check_strength(shape)
        self.shape = shape
        self.pad_val = _pad_val(pad_val)

    def apply(self, img):
        shape = self.shape if self.shape is not None else int(self.random_magnitude())
        return mmcv.cutout(img, shape, pad_val=self.pad_val)


@TRANSFORMS.register_module()
class GaussianBlur(BaseAugTransform):
    """Blur with a Gaussian of ``radius`` (Pillow's ``GaussianBlur``)."""
    strength_arg = 'radius'

    def __init__(self, radius: Optional[float] = None, prob: float = 0.5, **kwargs):
        super().__init__(prob=prob, random_negative_prob=0., **kwargs)
        self.check_strength(radius)
        self.radius = radius

    def apply(self, img):
        radius = self.strength(self.radius, signed=False)
        return np.array(Image.fromarray(img).filter(ImageFilter.GaussianBlur(radius=radius)))


def merge_hparams(policy: dict, hparams: dict) -> dict:
    """``policy`` with each of ``hparams`` that its operation takes and that it does not set."""
    policy = deepcopy(policy)
    op = TRANSFORMS.get(policy['type'])
    if op is None:
        raise KeyError(f'policy operation {policy["type"]!r} is not a registered transform')
    op_args = inspect.getfullargspec(op.__init__).args
    for key, value in hparams.items():
        if key in op_args and key not in policy:
            policy[key] = value
    return policy


@TRANSFORMS.register_module()
class AutoAugment(RandomChoice):
    """Apply one sub-policy, chosen at random, of a learned AutoAugment policy (Cubuk et al.).

    Args:
        policies: A name of :data:`AUTOAUG_POLICIES` (``'imagenet'``), or a list of
            sub-policies, each a list of operation configs applied in turn.
        hparams: Recorded in :attr:`policies` (merged into each operation that takes them) but,
            as in mmpretrain 1.2.0, not applied to the operations built.
    """

    def __init__(self, policies: Union[str, List[List[dict]]], hparams: dict = dict(pad_val=128)):
        if isinstance(policies, str):
            if policies not in AUTOAUG_POLICIES:
                raise ValueError(f'AutoAugment: unknown policies {policies!r}; zoo has '
                                 f'{sorted(AUTOAUG_POLICIES)} or a list of sub-policies')
            policies = AUTOAUG_POLICIES[policies]
        if not policies or not all(isinstance(sub, (list, tuple)) and sub for sub in policies):
            raise ValueError('AutoAugment: policies must be a non-empty list of non-empty lists '
                             'of operation configs')
        self.hparams = hparams
        self.policies = [[merge_hparams(t, hparams) for t in sub] for sub in policies]
        # mmpretrain 1.2.0 builds the operations from the policies as given, so ``hparams``
        # never reaches them (its recipes' pad_val=[104, 116, 124] pads with 128 there); zoo
        # does the same so that those recipes train as they did in mmpretrain.
        super().__init__(transforms=[[TRANSFORMS.build(t) for t in sub] for sub in policies])

    def __repr__(self) -> str:
        subs = ''.join('\n    ' + ', \t'.join(t['type'] for t in sub) for sub in self.policies)
        return f'{type(self).__name__}(policies:{subs}\n)'


@TRANSFORMS.register_module()
class RandAugment(BaseTransform):
    """Apply ``num_policies`` operations drawn at random (with repetition), all at one strength
    level (Cubuk et al. 2020).

    Args:
        policies: A name of :data:`RANDAUG_POLICIES` (``'timm_increasing'``,
            ``'simple_increasing'``) or a list of operation configs; those with
            ``magnitude_range`` get the level arguments below.
        num_policies: Operations applied to each image.
        magnitude_level: The strength level, out of ``total_level``.
        magnitude_std: The std of a normal jitter of the level, or ``'inf'``.
        total_level: The highest level.
        hparams: Arguments given to every operation that takes them and does not set them.
    """

    def __init__(self,
                 policies: Union[str, List[dict]],
                 num_policies: int,
                 magnitude_level: float,
                 magnitude_std: Union[Number, str] = 0.,
                 total_level: float = 10,
                 hparams: dict = dict(pad_val=128)):
        if isinstance(policies, str):
            if policies not in RANDAUG_POLICIES:
                raise ValueError(f'RandAugment: unknown policies {policies!r}; zoo has '
                                 f'{sorted(RANDAUG_POLICIES)} or a list of operation configs')
            policies = RANDAUG_POLICIES[policies]
        if not policies or not all(isinstance(p, dict) and 'type' in p for p in policies):
            raise ValueError('RandAugment: policies must be a non-empty list of operation '
                             'configs (dicts with "type")')
        if not (isinstance(magnitude_std, Number) or magnitude_std == 'inf'):
            raise ValueError(f'RandAugment: magnitude_std must be a number or "inf", '
                             f'got {magnitude_std!r}')
        if not isinstance(num_policies, int) or num_policies <= 0:
            raise ValueError(f'RandAugment: num_policies must be a positive int, '
                             f'got {num_policies!r}')
        if magnitude_level < 0 or total_level <= 0:
            raise ValueError(f'RandAugment: need magnitude_level >= 0 and total_level > 0, got '
                             f'{magnitude_level} and {total_level}')
        self.num_policies = num_policies
        self.magnitude_level = magnitude_level
        self.magnitude_std = magnitude_std
        self.total_level = total_level
        self.hparams = hparams
        level = dict(
            magnitude_level=magnitude_level, total_level=total_level, magnitude_std=magnitude_std)
        self.policies = []
        for policy in policies:
            policy = merge_hparams(policy, hparams)
            policy.pop('magnitude_key', None)  # mmpretrain 0.x's field, unused since
            if 'magnitude_range' in policy:
                policy.update(level)
            self.policies.append(policy)
        self.transforms = [TRANSFORMS.build(policy) for policy in self.policies]

    def __iter__(self):
        return iter(self.transforms)

    @cache_randomness
    def random_policy_indices(self) -> List[int]:
        return np.random.choice(np.arange(len(self.policies)), size=self.num_policies).tolist()

    def transform(self, results: dict) -> Optional[dict]:
        return Compose([self.transforms[i] for i in self.random_policy_indices()])(results)

    def __repr__(self) -> str:
        policies = ''.join(f'\n    {p["type"]}' +
                           (f' {tuple(p["magnitude_range"])}' if 'magnitude_range' in p else '')
                           for p in self.policies)
        return (f'{type(self).__name__}(num_policies={self.num_policies}, '
                f'magnitude_level={self.magnitude_level}, total_level={self.total_level}, '
                f'policies:{policies}\n)')


# yapf: disable
#: The policies of AutoAugment (Cubuk et al. 2019), as mmpretrain names and writes them.
AUTOAUG_POLICIES = {
    # Policy for ImageNet, refers to
    # https://github.com/DeepVoltaire/AutoAugment/blame/master/autoaugment.py
    'imagenet': [
        [dict(type='Posterize', bits=4, prob=0.4), dict(type='Rotate', angle=30., prob=0.6)],
        [dict(type='Solarize', thr=256 / 9 * 4, prob=0.6), dict(type='AutoContrast', prob=0.6)],
        [dict(type='Equalize', prob=0.8), dict(type='Equalize', prob=0.6)],
        [dict(type='Posterize', bits=5, prob=0.6), dict(type='Posterize', bits=5, prob=0.6)],
        [dict(type='Equalize', prob=0.4), dict(type='Solarize', thr=256 / 9 * 5, prob=0.2)],
        [dict(type='Equalize', prob=0.4), dict(type='Rotate', angle=30 / 9 * 8, prob=0.8)],
        [dict(type='Solarize', thr=256 / 9 * 6, prob=0.6), dict(type='Equalize', prob=0.6)],
        [dict(type='Posterize', bits=6, prob=0.8), dict(type='Equalize', prob=1.)],
        [dict(type='Rotate', angle=10., prob=0.2), dict(type='Solarize', thr=256 / 9, prob=0.6)],
        [dict(type='Equalize', prob=0.6), dict(type='Posterize', bits=5, prob=0.4)],
        [dict(type='Rotate', angle=30 / 9 * 8, prob=0.8),
         dict(type='ColorTransform', magnitude=0., prob=0.4)],
        [dict(type='Rotate', angle=30., prob=0.4), dict(type='Equalize', prob=0.6)],
        [dict(type='Equalize', prob=0.0), dict(type='Equalize', prob=0.8)],
        [dict(type='Invert', prob=0.6), dict(type='Equalize', prob=1.)],
        [dict(type='ColorTransform', magnitude=0.4, prob=0.6),
         dict(type='Contrast', magnitude=0.8, prob=1.)],
        [dict(type='Rotate', angle=30 / 9 * 8, prob=0.8),
         dict(type='ColorTransform', magnitude=0.2, prob=1.)],
        [dict(type='ColorTransform', magnitude=0.8, prob=0.8),
         dict(type='Solarize', thr=256 / 9 * 2, prob=0.8)],
        [dict(type='Sharpness', magnitude=0.7, prob=0.4), dict(type='Invert', prob=0.6)],
        [dict(type='Shear', magnitude=0.3 / 9 * 5, prob=0.6, direction='horizontal'),
         dict(type='Equalize', prob=1.)],
        [dict(type='ColorTransform', magnitude=0., prob=0.4), dict(type='Equalize', prob=0.6)],
        [dict(type='Equalize', prob=0.4), dict(type='Solarize', thr=256 / 9 * 5, prob=0.2)],
        [dict(type='Solarize', thr=256 / 9 * 4, prob=0.6), dict(type='AutoContrast', prob=0.6)],
        [dict(type='Invert', prob=0.6), dict(type='Equalize', prob=1.)],
        [dict(type='ColorTransform', magnitude=0.4, prob=0.6),
         dict(type='Contrast', magnitude=0.8, prob=1.)],
        [dict(type='Equalize', prob=0.8), dict(type='Equalize', prob=0.6)],
    ],
}

#: The operation lists of RandAugment, as mmpretrain names and writes them.
RANDAUG_POLICIES = {
    # Refers to `_RAND_INCREASING_TRANSFORMS` in pytorch-image-models
    'timm_increasing': [
        dict(type='AutoContrast'),
        dict(type='Equalize'),
        dict(type='Invert'),
        dict(type='Rotate', magnitude_range=(0, 30)),
        dict(type='Posterize', magnitude_range=(4, 0)),
        dict(type='Solarize', magnitude_range=(256, 0)),
        dict(type='SolarizeAdd', magnitude_range=(0, 110)),
        dict(type='ColorTransform', magnitude_range=(0, 0.9)),
        dict(type='Contrast', magnitude_range=(0, 0.9)),
        dict(type='Brightness', magnitude_range=(0, 0.9)),
        dict(type='Sharpness', magnitude_range=(0, 0.9)),
        dict(type='Shear', magnitude_range=(0, 0.3), direction='horizontal'),
        dict(type='Shear', magnitude_range=(0, 0.3), direction='vertical'),
        dict(type='Translate', magnitude_range=(0, 0.45), direction='horizontal'),
        dict(type='Translate', magnitude_range=(0, 0.45), direction='vertical'),
    ],
    'simple_increasing': [
        dict(type='AutoContrast'),
        dict(type='Equalize'),
        dict(type='Rotate', magnitude_range=(0, 30)),
        dict(type='Shear', magnitude_range=(0, 0.3), direction='horizontal'),
        dict(type='Shear', magnitude_range=(0, 0.3), direction='vertical'),
    ],
}
# yapf: enable
