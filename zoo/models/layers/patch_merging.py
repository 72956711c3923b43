from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .channel_last_norm import build_channel_last_norm


class PatchMerging(nn.Module):
    """Halve the resolution of a channel-last grid by merging each 2x2 neighbourhood of tokens:
    concatenate the four (``4C`` channels), normalise, project linearly to ``out_channels``.

    The concatenation order is the original Swin's and torchvision's -- ``(0, 0)``, ``(1, 0)``,
    ``(0, 1)``, ``(1, 1)`` as (row, column) offsets -- so their ``reduction`` and ``norm`` weights
    load unchanged (mmcv's ``PatchMerging`` unfolds in another order). Odd sides are padded
    with a zero row/column first.

    Args:
        in_channels: Channels ``C`` of the input grid.
        out_channels: Output channels; ``None`` gives ``2 * in_channels`` (Swin).
        norm_cfg: Norm over the ``4C`` merged channels.

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
                 norm_cfg: Optional[dict] = dict(type='LN')):
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels or 2 * in_channels
        self.norm = build_channel_last_norm(norm_cfg, 4 * in_channels)
        self.reduction = nn.Linear(4 * in_channels, self.out_channels, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        """``(B, H, W, C)`` -> ``(B, ceil(H / 2), ceil(W / 2), out_channels)``."""
        height, width = x.shape[-3:-1]
        x = F.pad(x, (0, 0, 0, width % 2, 0, height % 2))
        x = torch.cat([x[..., 0::2, 0::2, :], x[..., 1::2, 0::2, :],
                       x[..., 0::2, 1::2, :], x[..., 1::2, 1::2, :]], dim=-1)
        return self.reduction(self.norm(x))


__all__ = ['PatchMerging']
