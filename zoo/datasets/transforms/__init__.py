from mmcv.transforms import (CenterCrop, Normalize, RandomFlip, RandomGrayscale, RandomResize,
                             Resize)

from zoo.registry import TRANSFORMS
from .formatting import PackClsInputs
from .lens_distortion import LensDistortion, LensUndistort, RandomLensDistortion
from .loading import ImageDecodeError, LoadImageFromFile
from .photometric import ColorJitter
from .processing import RandomCrop, RandomResizedCrop, ResizeEdge

# mmcv's transforms live in mmcv's registry, a sibling of zoo's: register them here too so that
# a config with default_scope='zoo' finds them by plain name (as mmpretrain does).
# LoadImageFromFile is zoo's own subclass (clear errors), registered in loading.py.
for _transform in (CenterCrop, Normalize, RandomFlip, RandomGrayscale, RandomResize, Resize):
    TRANSFORMS.register_module(module=_transform)

__all__ = [
    'CenterCrop', 'Normalize', 'RandomFlip', 'RandomGrayscale', 'RandomResize', 'Resize',
    'LoadImageFromFile', 'ImageDecodeError', 'RandomCrop', 'RandomResizedCrop', 'ResizeEdge',
    'ColorJitter', 'PackClsInputs', 'LensDistortion', 'LensUndistort', 'RandomLensDistortion'
]
