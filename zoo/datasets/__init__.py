from .base_cls_dataset import BaseClsDataset
from .cifar import CIFAR10, UnsafePickleError, load_cifar_batch
from .custom import IMG_EXTENSIONS, CustomDataset
from .split import stratified_split
from .transforms import *  # noqa: F401,F403  (registers the transforms)

__all__ = [
    'BaseClsDataset', 'CustomDataset', 'IMG_EXTENSIONS', 'CIFAR10', 'UnsafePickleError',
    'load_cifar_batch', 'stratified_split', 'CenterCrop', 'Normalize', 'RandomFlip',
    'RandomGrayscale', 'RandomResize', 'Resize', 'LoadImageFromFile', 'ImageDecodeError',
    'RandomCrop', 'RandomResizedCrop', 'ResizeEdge', 'ColorJitter', 'PackClsInputs'
]
