from .cls_head import ClsHead
from .googlenet_head import GoogLeNetClsHead
from .linear_head import LinearClsHead
from .multi_label_head import MultiLabelClsHead, MultiLabelLinearClsHead
from .stacked_head import StackedLinearClsHead
from .vision_transformer_head import VisionTransformerClsHead

__all__ = ['ClsHead', 'LinearClsHead', 'StackedLinearClsHead']
__all__ += ['GoogLeNetClsHead']
__all__ += ['VisionTransformerClsHead']
__all__ += ['MultiLabelClsHead', 'MultiLabelLinearClsHead']
