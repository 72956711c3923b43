from .base_loss import BaseLoss
from .cross_entropy_loss import CrossEntropyLoss
from .utils import weight_reduce_loss

__all__ = ['BaseLoss', 'CrossEntropyLoss', 'weight_reduce_loss']
