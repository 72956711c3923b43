from .base_cls_dataset import BaseClsDataset
from .cifar import CIFAR10, CIFAR100, UnsafePickleError, load_cifar_batch
from .cub import CUB
from .custom import IMG_EXTENSIONS, CustomDataset
from .imagenet import ImageNet, ImageNet21k
from .mnist import MNIST, read_idx_file
from .repeat_aug_sampler import RepeatAugSampler
from .split import stratified_split
from .transforms import *  # noqa: F401,F403  (registers the transforms)
from .voc import VOC

__all__ = [
    'BaseClsDataset', 'CustomDataset', 'IMG_EXTENSIONS', 'CIFAR10', 'UnsafePickleError',
    'load_cifar_batch', 'stratified_split', 'CenterCrop', 'Normalize', 'RandomFlip',
    'RandomGrayscale', 'RandomResize', 'Resize', 'LoadImageFromFile', 'ImageDecodeError',
    'RandomCrop', 'RandomResizedCrop', 'ResizeEdge', 'ColorJitter', 'PackClsInputs'
]
__all__ += [
    'CIFAR100', 'ImageNet', 'ImageNet21k', 'MNIST', 'read_idx_file', 'RepeatAugSampler', 'CUB',
    'VOC'
]
