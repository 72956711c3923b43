from mmcv.transforms import CenterCrop, Normalize, RandomGrayscale, RandomResize, Resize

from zoo.registry import TRANSFORMS
from .auto_augment import (AutoAugment, AutoContrast, BaseAugTransform, Brightness, ColorTransform,
                           Contrast, Cutout, Equalize, GaussianBlur, Invert, Posterize, RandAugment,
                           Rotate, Sharpness, Shear, Solarize, SolarizeAdd, Translate)
from .formatting import PackClsInputs, PackInputs
from .lens_distortion import LensDistortion, LensUndistort, RandomLensDistortion
from .loading import DecodeRandomResizedCrop, ImageDecodeError, LoadImageFromFile
from .photometric import ColorJitter
from .processing import RandomCrop, RandomFlip, RandomResizedCrop, ResizeEdge
from .random_erasing import RandomErasing

# mmcv's transforms live in mmcv's registry, a sibling of zoo's: register them here too so that
# a config with default_scope='zoo' finds them by plain name (as mmpretrain does).
# LoadImageFromFile (clear errors) and RandomFlip (a cheaper draw) are zoo's own subclasses.
for _transform in (CenterCrop, Normalize, RandomGrayscale, RandomResize, Resize):
    TRANSFORMS.register_module(module=_transform)

__all__ = [
    'CenterCrop', 'Normalize', 'RandomFlip', 'RandomGrayscale', 'RandomResize', 'Resize',
    'LoadImageFromFile', 'ImageDecodeError', 'RandomCrop', 'RandomResizedCrop', 'ResizeEdge',
    'ColorJitter', 'PackClsInputs', 'LensDistortion', 'LensUndistort', 'RandomLensDistortion'
]
__all__ += [
    'PackInputs', 'RandomErasing', 'AutoAugment', 'RandAugment', 'BaseAugTransform', 'Shear',
    'Translate', 'Rotate', 'AutoContrast', 'Invert', 'Equalize', 'Solarize', 'SolarizeAdd',
    'Posterize', 'Contrast', 'ColorTransform', 'Brightness', 'Sharpness', 'Cutout', 'GaussianBlur'
]
__all__ += ['DecodeRandomResizedCrop']
