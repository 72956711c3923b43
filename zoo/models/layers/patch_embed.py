import math
from typing import Optional, Sequence, Tuple, Union

import torch.nn.functional as F
from mmcv.cnn import build_conv_layer
from torch import Tensor, nn

from .channel_last_norm import build_channel_last_norm

IntPair = Union[int, Sequence[int]]


def _pair(value: IntPair) -> Tuple[int, int]:
    return (value, value) if isinstance(value, int) else tuple(value)


def adaptive_padding(size: Sequence[int], kernel_size: IntPair, stride: IntPair,
                     dilation: IntPair) -> Tuple[int, int]:
    """Rows and columns to add so that a strided kernel covers the whole input: mmcv's
    ``AdaptivePadding`` (what its ``PatchEmbed`` and ``PatchMerging`` apply by default)."""
    pads = []
    for side, k, s, d in zip(size, _pair(kernel_size), _pair(stride), _pair(dilation)):
        pads.append(max((math.ceil(side / s) - 1) * s + (k - 1) * d + 1 - side, 0))
    return pads[0], pads[1]


def pad_to_cover(x: Tensor, padding: str, kernel_size: IntPair, stride: IntPair,
                 dilation: IntPair) -> Tensor:
    """Pad an NCHW map as mmcv's ``AdaptivePadding``: ``'corner'`` at the bottom/right,
    ``'same'`` on both sides (the extra one at the bottom/right)."""
    pad_h, pad_w = adaptive_padding(x.shape[-2:], kernel_size, stride, dilation)
    if not pad_h and not pad_w:
        return x
    if padding == 'corner':
        return F.pad(x, [0, pad_w, 0, pad_h])
    return F.pad(x, [pad_w // 2, pad_w - pad_w // 2, pad_h // 2, pad_h - pad_h // 2])


class PatchEmbed(nn.Module):
    """Split an image into patches and embed each one: a convolution (``patch_size`` x
    ``patch_size`` with the same stride by default), then an optional norm over channels.

    mmcv's ``PatchEmbed`` (mmpretrain's ViT and Swin use it): the same arguments and module
    names (``projection``, ``norm``), and by default the same ``'corner'`` padding, which pads
    an input side that is not a multiple of the stride at the bottom/right so that every pixel
    falls in a patch. The output stays a channel-last grid ``(B, H / p, W / p, C)``: ViT
    flattens it into a sequence, Swin keeps it as a grid for its windows.

    Args:
        in_channels: Image channels.
        embed_dims: Embedding channels ``C``.
        patch_size: Side of a patch: the kernel and the stride, unless ``kernel_size`` /
            ``stride`` are given.
        norm_cfg: Norm after the projection (Swin: ``dict(type='LN')``); ``None`` for none (ViT).
        bias: Whether the projection has a bias.
        kernel_size: Kernel of the projection (mmcv's name).
        stride: Stride of the projection; ``None`` is the kernel size.
        padding: ``'corner'`` or ``'same'`` (mmcv's adaptive padding) or a fixed padding of the
            convolution (0 crops what does not fill a patch, as torchvision's).
        dilation: Dilation of the projection.
        conv_type: Convolution type (``'Conv2d'``), or a conv config dict.
        input_size: The input size the network is made for (mmcv's; used only to tell
            :meth:`out_size`).

    Example:
        >>> import torch
        >>> embed = PatchEmbed(3, 96, patch_size=4, norm_cfg=dict(type='LN'))
        >>> embed(torch.rand(2, 3, 224, 224)).shape
        torch.Size([2, 56, 56, 96])
        >>> embed(torch.rand(2, 3, 226, 224)).shape   # padded to 228 rows
        torch.Size([2, 57, 56, 96])
    """

    def __init__(self,
                 in_channels: int = 3,
                 embed_dims: int = 768,
                 patch_size: Optional[IntPair] = None,
                 norm_cfg: Optional[dict] = None,
                 bias: bool = True,
                 kernel_size: Optional[IntPair] = None,
                 stride: Optional[IntPair] = None,
                 padding: Union[str, IntPair] = 'corner',
                 dilation: IntPair = 1,
                 conv_type: Union[str, dict] = 'Conv2d',
                 input_size: Optional[IntPair] = None):
        super().__init__()
        kernel_size = kernel_size if kernel_size is not None else patch_size
        if kernel_size is None:
            kernel_size = 16  # mmcv's default
        if min(_pair(kernel_size)) <= 0:
            raise ValueError(f'PatchEmbed: patch_size must be positive, got {kernel_size}')
        stride = kernel_size if stride is None else stride
        if isinstance(padding, str) and padding not in ('corner', 'same'):
            raise ValueError(f"PatchEmbed: padding {padding!r} is not 'corner', 'same' or a "
                             f'number')
        self.patch_size = kernel_size
        self.kernel_size, self.stride, self.dilation = kernel_size, stride, dilation
        self.adaptive_padding = padding if isinstance(padding, str) else None
        conv_cfg = dict(type=conv_type) if isinstance(conv_type, str) else conv_type
        self.projection = build_conv_layer(
            conv_cfg,
            in_channels,
            embed_dims,
            kernel_size,
            stride=stride,
            padding=0 if isinstance(padding, str) else padding,
            dilation=dilation,
            bias=bias)
        self.norm = build_channel_last_norm(norm_cfg, embed_dims) if norm_cfg else None
        self.init_input_size = None if input_size is None else _pair(input_size)

    def out_size(self, input_size: IntPair) -> Tuple[int, int]:
        """The patch grid of an input of ``input_size`` (mmcv's ``init_out_size``)."""
        size = _pair(input_size)
        if self.adaptive_padding:
            pads = adaptive_padding(size, self.kernel_size, self.stride, self.dilation)
            size = (size[0] + pads[0], size[1] + pads[1])
        conv = self.projection
        return tuple((side + 2 * p - d * (k - 1) - 1) // s + 1 for side, p, d, k, s in zip(
            size, conv.padding, conv.dilation, conv.kernel_size, conv.stride))

    def forward(self, x: Tensor) -> Tensor:
        """``(B, in_channels, H, W)`` -> ``(B, H', W', embed_dims)``."""
        if self.adaptive_padding:
            x = pad_to_cover(x, self.adaptive_padding, self.kernel_size, self.stride, self.dilation)
        elif min(self.out_size(x.shape[-2:])) < 1:
            raise ValueError(f'PatchEmbed: input {tuple(x.shape)} is smaller than one '
                             f'{self.patch_size}x{self.patch_size} patch')
        x = self.projection(x).permute(0, 2, 3, 1)
        return x if self.norm is None else self.norm(x)


__all__ = ['PatchEmbed', 'adaptive_padding', 'pad_to_cover']
