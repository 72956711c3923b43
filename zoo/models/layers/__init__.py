from . import activations  # noqa: F401  (registers Hardsigmoid)
from .attention import MultiheadAttention
from .cbam import CBAM
from .channel_last_norm import ChannelLastBatchNorm, build_channel_last_norm
from .conv_module import ConvModule
from .conv_norm_act import ConvNormAct
from .depthwise_separable_conv import DepthwiseSeparableConv
from .drop_path import DropPath, drop_path_rates
from .ffn import FFN
from .inverted_residual import InvertedResidual
from .make_divisible import make_divisible
from .patch_embed import PatchEmbed
from .patch_merging import PatchMerging, torchvision_merge_order
from .plugin import PluggableBlock, build_plugin, insert_plugins
from .pos_embed import resize_pos_embed
from .se_layer import SELayer
from .srm import SRM
from .window_attention import ShiftWindowMSA, WindowMSA

__all__ = ['ConvNormAct', 'ConvModule']
__all__ += [
    'make_divisible', 'DepthwiseSeparableConv', 'InvertedResidual', 'SELayer', 'CBAM', 'SRM',
    'PluggableBlock', 'build_plugin', 'insert_plugins'
]
__all__ += [
    'DropPath', 'drop_path_rates', 'MultiheadAttention', 'FFN', 'PatchEmbed', 'PatchMerging',
    'WindowMSA', 'ShiftWindowMSA', 'torchvision_merge_order', 'resize_pos_embed',
    'ChannelLastBatchNorm', 'build_channel_last_norm'
]
