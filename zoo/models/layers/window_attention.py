from typing import Optional, Sequence, Union

import torch
import torch.nn.functional as F
from mmcv.cnn.bricks.drop import build_dropout
from torch import Tensor, nn

from .attention import MultiheadAttention

# Logit added between tokens of a shifted window that come from different image regions: the
# original Swin's -100 (not -inf), kept so that published weights give the published outputs.
_MASKED_LOGIT = -100.0


def _relative_position_index(window_size: int) -> Tensor:
    """``(N, N)`` indices into the ``(2w - 1)^2`` relative offsets of the ``N = w * w``
    tokens of a window (the original Swin's, mmpretrain's and torchvision's values)."""
    coords = torch.stack(
        torch.meshgrid(torch.arange(window_size), torch.arange(window_size),
                       indexing='ij')).flatten(1)  # 2, N
    relative = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0) + window_size - 1
    return relative[..., 0] * (2 * window_size - 1) + relative[..., 1]


def _region_ids(size: int, window_size: int, shift: int, device: torch.device) -> Tensor:
    """Which of the (up to) three regions each row/column of a shifted grid came from."""
    ids = torch.zeros(size, dtype=torch.long, device=device)
    if shift > 0:
        ids[size - window_size:size - shift] = 1
        ids[size - shift:] = 2
    return ids


class WindowMSA(MultiheadAttention):
    """Multi-head self-attention among the tokens of each window, with a learned bias per head
    and relative offset: mmpretrain's ``WindowMSA`` (the W-MSA of `Swin Transformer
    <https://arxiv.org/abs/2103.14030>`_), with its parameter and buffer names (``qkv``,
    ``proj``, ``relative_position_bias_table``, ``relative_position_index``).

    Args:
        embed_dims: Token channels ``C``.
        window_size: Side of a (square) window, or mmpretrain's ``(w, w)``.
        num_heads: Attention heads.
        qkv_bias: Whether the ``qkv`` projection has a bias.
        qk_scale: Scale of the attention logits; ``None`` is ``head_dims ** -0.5``.
        attn_drop: Dropout rate on the attention weights.
        proj_drop: Dropout rate after the output projection.
    """

    def __init__(self,
                 embed_dims: int,
                 window_size: Union[int, Sequence[int]],
                 num_heads: int,
                 qkv_bias: bool = True,
                 qk_scale: Optional[float] = None,
                 attn_drop: float = 0.0,
                 proj_drop: float = 0.0):
        super().__init__(embed_dims, num_heads, qkv_bias, attn_drop, proj_drop, qk_scale=qk_scale)
        if not isinstance(window_size, int):
            if len(set(window_size)) != 1:
                raise ValueError(f'WindowMSA: window_size {tuple(window_size)} is not square; '
                                 f'zoo supports square windows')
            window_size = window_size[0]
        if window_size <= 0:
            raise ValueError(f'WindowMSA: window_size must be positive, got {window_size}')
        self.window_size = window_size
        self.relative_position_bias_table = nn.Parameter(
            torch.zeros((2 * window_size - 1)**2, num_heads))
        nn.init.trunc_normal_(self.relative_position_bias_table, std=0.02)
        self.register_buffer('relative_position_index', _relative_position_index(window_size))

    def relative_position_bias(self) -> Tensor:
        """``(num_heads, N, N)``: the bias between the ``N = window_size ** 2`` tokens."""
        num_tokens = self.window_size**2
        bias = self.relative_position_bias_table[self.relative_position_index.view(-1)]
        return bias.view(num_tokens, num_tokens, -1).permute(2, 0, 1)

    def forward(self, x: Tensor, mask: Optional[Tensor] = None) -> Tensor:  # type: ignore
        """Windows ``(B, G, N, C)`` -> ``(B, G, N, C)``; ``mask`` ``(G, N, N)`` is added to the
        logits of each window (the shifted-window mask)."""
        bias = self.relative_position_bias()  # heads, N, N
        if mask is not None:
            bias = bias + mask[:, None].to(bias.dtype)  # windows, heads, N, N
        return super().forward(x, attn_mask=bias)

    def extra_repr(self) -> str:
        return f'{super().extra_repr()}, window_size={self.window_size}'


class ShiftWindowMSA(nn.Module):
    """Window attention on a channel-last grid, the windows shifted or not: mmpretrain's
    ``ShiftWindowMSA`` (the W-MSA / SW-MSA of Swin), whose attention is ``w_msa``.

    The grid is padded at the bottom/right to a multiple of ``window_size``, cyclically
    shifted up-left by ``shift_size`` (SW-MSA), and cut into windows; tokens attend within
    their window, with the relative position bias and, after a shift, a mask between tokens
    that were not neighbours. As in mmpretrain, a grid whose shorter side is one window is not
    shifted unless ``pad_small_map``; a grid smaller than a window is padded to one window
    and shifted only with ``pad_small_map`` (mmpretrain refuses such a grid without it).

    Args:
        embed_dims: Token channels ``C``.
        num_heads: Attention heads.
        window_size: Side of a window.
        shift_size: Cyclic shift, ``0`` (W-MSA) or typically ``window_size // 2`` (SW-MSA).
        qkv_bias: Whether the ``qkv`` projection has a bias.
        qk_scale: Scale of the attention logits; ``None`` is ``head_dims ** -0.5``.
        attn_drop: Dropout rate on the attention weights.
        proj_drop: Dropout rate after the output projection.
        dropout_layer: mmcv dropout config applied to the output (Swin's stochastic depth:
            ``dict(type='DropPath', drop_prob=...)``).
        pad_small_map: Pad and shift grids of one window or less as any other.
        window_msa: The window attention class; zoo has :class:`WindowMSA` only (mmpretrain's
            Swin v2 passes its ``WindowMSAV2``).

    Example:
        >>> attn = ShiftWindowMSA(96, num_heads=3, window_size=7, shift_size=3)
        >>> attn(torch.rand(2, 56, 56, 96)).shape
        torch.Size([2, 56, 56, 96])
        >>> attn(torch.rand(2, 20, 30, 96)).shape        # padded to 21 x 35 inside, cropped back
        torch.Size([2, 20, 30, 96])
    """

    def __init__(self,
                 embed_dims: int,
                 num_heads: int,
                 window_size: int = 7,
                 shift_size: int = 0,
                 qkv_bias: bool = True,
                 qk_scale: Optional[float] = None,
                 attn_drop: float = 0.0,
                 proj_drop: float = 0.0,
                 dropout_layer: Optional[dict] = dict(type='DropPath', drop_prob=0.0),
                 pad_small_map: bool = False,
                 window_msa: type = WindowMSA):
        super().__init__()
        if window_msa is not WindowMSA and getattr(window_msa, '__name__', None) != 'WindowMSA':
            raise ValueError(f'ShiftWindowMSA: window_msa {window_msa!r} is not supported; zoo '
                             f'has WindowMSA only')
        if window_size <= 0 or not 0 <= shift_size < window_size:
            raise ValueError(f'{type(self).__name__}: need window_size > 0 and 0 <= shift_size '
                             f'< window_size, got window_size={window_size}, '
                             f'shift_size={shift_size}')
        self.window_size = window_size
        self.shift_size = shift_size
        self.pad_small_map = pad_small_map
        self.w_msa = WindowMSA(
            embed_dims,
            window_size,
            num_heads,
            qkv_bias=qkv_bias,
            qk_scale=qk_scale,
            attn_drop=attn_drop,
            proj_drop=proj_drop)
        self.drop = build_dropout(dropout_layer) if dropout_layer else nn.Identity()

    def shift_mask(self, height: int, width: int, shift: int, device: torch.device) -> Tensor:
        """``(num_windows, N, N)``: 0 between tokens of the same region, -100 otherwise."""
        ws = self.window_size
        regions = (
            _region_ids(height, ws, shift, device)[:, None] * 3 +
            _region_ids(width, ws, shift, device)[None, :])
        regions = regions.view(height // ws, ws, width // ws, ws).transpose(1,
                                                                            2).reshape(-1, ws * ws)
        different = regions[:, :, None] != regions[:, None, :]
        return different.float() * _MASKED_LOGIT

    def forward(self, x: Tensor) -> Tensor:
        """``(B, H, W, C)`` -> ``(B, H, W, C)``."""
        batch, height, width, channels = x.shape
        ws = self.window_size
        shift = self.shift_size if min(height, width) > ws or self.pad_small_map else 0
        pad_h, pad_w = (ws - height % ws) % ws, (ws - width % ws) % ws
        x = F.pad(x, (0, 0, 0, pad_w, 0, pad_h))
        padded_h, padded_w = height + pad_h, width + pad_w
        if shift:
            x = torch.roll(x, shifts=(-shift, -shift), dims=(1, 2))

        rows, cols = padded_h // ws, padded_w // ws
        windows = x.view(batch, rows, ws, cols, ws,
                         channels).transpose(2, 3).reshape(batch, rows * cols, ws * ws, channels)
        mask = self.shift_mask(padded_h, padded_w, shift, x.device) if shift else None
        windows = self.w_msa(windows, mask)

        x = windows.view(batch, rows, cols, ws, ws,
                         channels).transpose(2, 3).reshape(batch, padded_h, padded_w, channels)
        if shift:
            x = torch.roll(x, shifts=(shift, shift), dims=(1, 2))
        if pad_h or pad_w:
            x = x[:, :height, :width].contiguous()
        return self.drop(x)

    def extra_repr(self) -> str:
        return f'window_size={self.window_size}, shift_size={self.shift_size}'


__all__ = ['WindowMSA', 'ShiftWindowMSA']
