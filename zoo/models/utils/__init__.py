from .batch_augments import CutMix, Mixup, RandomBatchAugment, ResizeMix
from .pretrained import LoadReport, PretrainedInit, load_pretrained

__all__ = ['load_pretrained', 'LoadReport', 'PretrainedInit']
__all__ += ['Mixup', 'CutMix', 'ResizeMix', 'RandomBatchAugment']
