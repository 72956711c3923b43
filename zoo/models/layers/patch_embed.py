from typing import Optional

from torch import Tensor, nn

from .channel_last_norm import build_channel_last_norm


class PatchEmbed(nn.Module):
    """Split an image into non-overlapping patches and embed each one: a ``patch_size`` x
    ``patch_size`` convolution with the same stride, then an optional norm over channels.

    The output stays a channel-last grid ``(B, H / p, W / p, C)``: ViT flattens it into a
    sequence, Swin keeps it as a grid for its windows. Input sides that are not multiples of
    the patch size lose their last rows/columns, as with torchvision's and mmpretrain's
    convolution.

    Args:
        in_channels: Image channels.
        embed_dims: Embedding channels ``C``.
        patch_size: Side of a patch (the stride of the projection).
        norm_cfg: Norm after the projection (Swin: ``dict(type='LN')``); ``None`` for none (ViT).
        bias: Whether the projection has a bias.

    Example:
        >>> import torch
        >>> embed = PatchEmbed(3, 96, patch_size=4, norm_cfg=dict(type='LN'))
        >>> embed(torch.rand(2, 3, 224, 224)).shape
        torch.Size([2, 56, 56, 96])
    """

    def __init__(self,
                 in_channels: int,
                 embed_dims: int,
                 patch_size: int,
                 norm_cfg: Optional[dict] = None,
                 bias: bool = True):
        super().__init__()
        if patch_size <= 0:
            raise ValueError(f'PatchEmbed: patch_size must be positive, got {patch_size}')
        self.patch_size = patch_size
        self.projection = nn.Conv2d(in_channels, embed_dims, patch_size, stride=patch_size,
                                    bias=bias)
        self.norm = build_channel_last_norm(norm_cfg, embed_dims) if norm_cfg else None

    def forward(self, x: Tensor) -> Tensor:
        """``(B, in_channels, H, W)`` -> ``(B, H // p, W // p, embed_dims)``."""
        if x.shape[-2] < self.patch_size or x.shape[-1] < self.patch_size:
            raise ValueError(f'PatchEmbed: input {tuple(x.shape)} is smaller than one '
                             f'{self.patch_size}x{self.patch_size} patch')
        x = self.projection(x).permute(0, 2, 3, 1)
        return x if self.norm is None else self.norm(x)


__all__ = ['PatchEmbed']
