from typing import Optional

from mmcv.cnn import build_activation_layer
from mmcv.cnn.bricks.scale import LayerScale
from torch import Tensor, nn


class FFN(nn.Module):
    """The feed-forward (MLP) block of a transformer layer: ``fc -> act -> drop`` (``num_fcs - 1``
    times), then ``fc -> drop``, then an optional layer scale.

    It acts on the last dimension, so tokens may be ``(B, L, C)`` or channel-last grids
    ``(B, H, W, C)``. The children are mmcv's ``FFN``'s, the names of mmpretrain's published
    ViT and Swin checkpoints: ``layers.0.0`` (the first Linear), ``layers.1`` (the last), and
    ``gamma2`` (the layer scale, with ``layer_scale_init_value > 0``). The residual sum and the
    stochastic depth stay with the caller. The layer order equals torchvision's ``MLP`` in ViT
    and Swin (``Linear, GELU, Dropout, Linear, Dropout``).

    Args:
        embed_dims: Input and output channels.
        feedforward_channels: Hidden channels (4 x ``embed_dims`` in ViT and Swin).
        act_cfg: Activation config for :func:`mmcv.cnn.build_activation_layer`.
        drop: Dropout rate after each activation and after the last Linear (mmcv's
            ``ffn_drop``).
        out_dims: Output channels; ``None`` keeps ``embed_dims``.
        num_fcs: Number of Linear layers (at least 2).
        layer_scale_init_value: Initial value of the per-channel output scale; 0 for none.

    Example:
        >>> import torch
        >>> ffn = FFN(embed_dims=64, feedforward_channels=256)
        >>> ffn(torch.rand(2, 197, 64)).shape
        torch.Size([2, 197, 64])
        >>> sorted(ffn.state_dict())
        ['layers.0.0.bias', 'layers.0.0.weight', 'layers.1.bias', 'layers.1.weight']
    """

    def __init__(self,
                 embed_dims: int,
                 feedforward_channels: int,
                 act_cfg: dict = dict(type='GELU'),
                 drop: float = 0.0,
                 out_dims: Optional[int] = None,
                 num_fcs: int = 2,
                 layer_scale_init_value: float = 0.0):
        super().__init__()
        if feedforward_channels <= 0:
            raise ValueError(f'FFN: feedforward_channels must be positive, '
                             f'got {feedforward_channels}')
        if num_fcs < 2:
            raise ValueError(f'FFN: num_fcs must be at least 2, got {num_fcs}')
        layers, in_channels = [], embed_dims
        for _ in range(num_fcs - 1):
            layers.append(
                nn.Sequential(
                    nn.Linear(in_channels, feedforward_channels), build_activation_layer(act_cfg),
                    nn.Dropout(drop)))
            in_channels = feedforward_channels
        layers += [nn.Linear(feedforward_channels, out_dims or embed_dims), nn.Dropout(drop)]
        self.layers = nn.Sequential(*layers)
        self.gamma2 = LayerScale(out_dims or embed_dims, scale=layer_scale_init_value) \
            if layer_scale_init_value > 0 else nn.Identity()

    def forward(self, x: Tensor) -> Tensor:
        return self.gamma2(self.layers(x))


__all__ = ['FFN']
