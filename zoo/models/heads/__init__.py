from .cls_head import ClsHead
from .linear_head import LinearClsHead
from .stacked_head import StackedLinearClsHead

__all__ = ['ClsHead', 'LinearClsHead', 'StackedLinearClsHead']
