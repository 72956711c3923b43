from typing import Optional, Sequence, Union

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .channel_last_norm import build_channel_last_norm
from .patch_embed import _pair, pad_to_cover


class PatchMerging(nn.Module):
    """Merge each ``k x k`` neighbourhood of a channel-last grid into one token: unfold it
    (``k * k * C`` channels), normalise, project linearly to ``out_channels``; with the
    default 2x2 it halves the resolution (Swin's patch merging).

    mmcv's ``PatchMerging`` (mmpretrain's Swin uses it): the same arguments, module names
    (``norm``, ``reduction``) and channel order (``nn.Unfold``'s: channel-major, the kernel
    offsets row by row), and by default the same ``'corner'`` padding of odd sides. The
    original Swin and torchvision concatenate the 2x2 offsets channel-minor in the order
    ``(0, 0), (1, 0), (0, 1), (1, 1)``: :func:`torchvision_merge_order` maps their weights.

    Args:
        in_channels: Channels ``C`` of the input grid.
        out_channels: Output channels; ``None`` gives ``2 * in_channels`` (Swin).
        norm_cfg: Norm over the merged channels.
        kernel_size: Side of a merged neighbourhood.
        stride: Stride between neighbourhoods; ``None`` is the kernel size.
        padding: ``'corner'`` / ``'same'`` (mmcv's adaptive padding) or a fixed padding.
        dilation: Dilation of the neighbourhood.
        bias: Whether the projection has a bias.

    Example:
        >>> import torch
        >>> merge = PatchMerging(96)
        >>> merge(torch.rand(2, 56, 56, 96)).shape
        torch.Size([2, 28, 28, 192])
        >>> merge(torch.rand(2, 7, 7, 96)).shape         # odd sides are padded
        torch.Size([2, 4, 4, 192])
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: Optional[int] = None,
                 norm_cfg: Optional[dict] = dict(type='LN'),
                 kernel_size: Union[int, Sequence[int]] = 2,
                 stride: Optional[Union[int, Sequence[int]]] = None,
                 padding: Union[str, int, Sequence[int]] = 'corner',
                 dilation: Union[int, Sequence[int]] = 1,
                 bias: bool = False):
        super().__init__()
        if isinstance(padding, str) and padding not in ('corner', 'same'):
            raise ValueError(f"PatchMerging: padding {padding!r} is not 'corner', 'same' or "
                             f'a number')
        self.in_channels = in_channels
        self.out_channels = out_channels or 2 * in_channels
        self.kernel_size = _pair(kernel_size)
        self.stride = self.kernel_size if stride is None else _pair(stride)
        self.dilation = _pair(dilation)
        self.adaptive_padding = padding if isinstance(padding, str) else None
        self.padding = (0, 0) if isinstance(padding, str) else _pair(padding)
        merged = self.kernel_size[0] * self.kernel_size[1] * in_channels
        self.norm = build_channel_last_norm(norm_cfg, merged)
        self.reduction = nn.Linear(merged, self.out_channels, bias=bias)

    def forward(self, x: Tensor) -> Tensor:
        """``(B, H, W, C)`` -> ``(B, H', W', out_channels)`` (``ceil(H / 2)`` by default)."""
        x = x.permute(0, 3, 1, 2)
        if self.adaptive_padding:
            x = pad_to_cover(x, self.adaptive_padding, self.kernel_size, self.stride, self.dilation)
        height, width = ((side + 2 * p - d * (k - 1) - 1) // s + 1 for side, p, d, k, s in zip(
            x.shape[-2:], self.padding, self.dilation, self.kernel_size, self.stride))
        x = F.unfold(x, self.kernel_size, self.dilation, self.padding, self.stride)
        x = x.transpose(1, 2).reshape(x.shape[0], height, width, -1)
        return self.reduction(self.norm(x))


def torchvision_merge_order(in_channels: int) -> Tensor:
    """Index into torchvision's (the original Swin's) ``4C`` merged channels for each of
    :class:`PatchMerging`'s: ``ours = theirs[..., index]`` for the norm's parameters and the
    columns of ``reduction.weight``."""
    # our offset i * 2 + j (row i, column j) -> its block in torchvision's concatenation
    block_of_offset = (0, 2, 1, 3)
    return torch.tensor([
        block_of_offset[offset] * in_channels + channel for channel in range(in_channels)
        for offset in range(4)
    ])


__all__ = ['PatchMerging', 'torchvision_merge_order']
