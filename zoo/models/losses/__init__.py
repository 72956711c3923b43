from .base_loss import BaseLoss
from .cross_entropy_loss import CrossEntropyLoss
from .focal_loss import FocalLoss
from .iou_loss import AlignedBoxGeometry, BoxIoULoss, CIoULoss, DIoULoss, GIoULoss, IoULoss
from .label_smooth_loss import LabelSmoothLoss
from .mse_loss import MSELoss
from .smooth_l1_loss import L1Loss, SmoothL1Loss
from .utils import expand_weight, labels_to_binary, weight_reduce_loss

__all__ = [
    'BaseLoss', 'CrossEntropyLoss', 'FocalLoss', 'AlignedBoxGeometry', 'BoxIoULoss', 'IoULoss',
    'GIoULoss', 'DIoULoss', 'CIoULoss', 'MSELoss', 'L1Loss', 'SmoothL1Loss', 'expand_weight',
    'labels_to_binary', 'weight_reduce_loss'
]
__all__ += ['LabelSmoothLoss']
