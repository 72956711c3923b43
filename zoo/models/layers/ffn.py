from typing import Optional

from mmcv.cnn import build_activation_layer
from torch import Tensor, nn


class FFN(nn.Module):
    """The feed-forward (MLP) block of a transformer layer: ``fc1 -> act -> drop -> fc2 -> drop``.

    It acts on the last dimension, so tokens may be ``(B, L, C)`` or channel-last grids
    ``(B, H, W, C)``. The layer order equals torchvision's ``MLP`` in ViT and Swin
    (``Linear, GELU, Dropout, Linear, Dropout``).

    Args:
        embed_dims: Input and output channels.
        feedforward_channels: Hidden channels (4 x ``embed_dims`` in ViT and Swin).
        act_cfg: Activation config for :func:`mmcv.cnn.build_activation_layer`.
        drop: Dropout rate after the activation and after ``fc2``.
        out_dims: Output channels; ``None`` keeps ``embed_dims``.

    Example:
        >>> import torch
        >>> ffn = FFN(embed_dims=64, feedforward_channels=256)
        >>> ffn(torch.rand(2, 197, 64)).shape
        torch.Size([2, 197, 64])
    """

    def __init__(self,
                 embed_dims: int,
                 feedforward_channels: int,
                 act_cfg: dict = dict(type='GELU'),
                 drop: float = 0.0,
                 out_dims: Optional[int] = None):
        super().__init__()
        if feedforward_channels <= 0:
            raise ValueError(f'FFN: feedforward_channels must be positive, '
                             f'got {feedforward_channels}')
        self.fc1 = nn.Linear(embed_dims, feedforward_channels)
        self.act = build_activation_layer(act_cfg)
        self.drop1 = nn.Dropout(drop)
        self.fc2 = nn.Linear(feedforward_channels, out_dims or embed_dims)
        self.drop2 = nn.Dropout(drop)

    def forward(self, x: Tensor) -> Tensor:
        return self.drop2(self.fc2(self.drop1(self.act(self.fc1(x)))))


__all__ = ['FFN']
