from .batch_augments import CutMix, Mixup, RandomBatchAugment, ResizeMix
from .init import TORCHVISION_INIT_CFG, fold_pretrained, loads_checkpoint
from .pretrained import LoadReport, PretrainedInit, load_pretrained

__all__ = [
    'load_pretrained', 'LoadReport', 'PretrainedInit', 'TORCHVISION_INIT_CFG', 'fold_pretrained',
    'loads_checkpoint', 'Mixup', 'CutMix', 'ResizeMix', 'RandomBatchAugment'
]
