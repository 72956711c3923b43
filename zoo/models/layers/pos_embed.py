from typing import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor


def resize_pos_embed(pos_embed: Tensor,
                     src_shape: Sequence[int],
                     dst_shape: Sequence[int],
                     mode: str = 'bicubic',
                     num_extra_tokens: int = 1) -> Tensor:
    """Resize a learned position embedding from one patch grid to another.

    The embedding holds ``num_extra_tokens`` entries (the class token's) followed by one entry
    per patch of a ``src_shape`` grid in row-major order. The extra entries are kept as they
    are; the patch entries are interpolated as a ``C``-channel image of the grid (bicubic, as
    mmpretrain and timm). Used when a ViT sees another input size than the one it was built
    for, and when a checkpoint trained at another size is loaded.

    Args:
        pos_embed: ``(1, num_extra_tokens + src_h * src_w, C)``.
        src_shape: ``(src_h, src_w)``, the grid ``pos_embed`` was made for.
        dst_shape: ``(dst_h, dst_w)``, the grid wanted.
        mode: Interpolation mode of :func:`torch.nn.functional.interpolate`.
        num_extra_tokens: Leading entries that are not patches.

    Returns:
        ``(1, num_extra_tokens + dst_h * dst_w, C)``; ``pos_embed`` itself when the grids are
        equal.

    Example:
        >>> pos_embed = torch.rand(1, 1 + 14 * 14, 768)
        >>> resize_pos_embed(pos_embed, (14, 14), (24, 24)).shape
        torch.Size([1, 577, 768])
    """
    src_h, src_w = src_shape
    dst_h, dst_w = dst_shape
    if (src_h, src_w) == (dst_h, dst_w):
        return pos_embed
    if pos_embed.dim() != 3 or pos_embed.shape[1] != num_extra_tokens + src_h * src_w:
        raise ValueError(f'resize_pos_embed: pos_embed of shape {tuple(pos_embed.shape)} does '
                         f'not hold {num_extra_tokens} extra tokens and a {src_h}x{src_w} grid')
    channels = pos_embed.shape[2]
    extra, grid = pos_embed[:, :num_extra_tokens], pos_embed[:, num_extra_tokens:]
    grid = grid.reshape(1, src_h, src_w, channels).permute(0, 3, 1, 2)
    # Bicubic interpolation needs float32 on some devices; go back to the input dtype after.
    extra_args = dict(align_corners=False) if mode in ('bilinear', 'bicubic') else {}
    grid = F.interpolate(grid.float(), size=(dst_h, dst_w), mode=mode, **extra_args)
    grid = grid.flatten(2).transpose(1, 2).to(pos_embed.dtype)
    return torch.cat([extra, grid], dim=1)


__all__ = ['resize_pos_embed']
