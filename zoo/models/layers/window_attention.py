import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .attention import MultiheadAttention

# Logit added between tokens of a shifted window that come from different image regions: the
# original Swin's -100 (not -inf), kept so that published weights give the published outputs.
_MASKED_LOGIT = -100.0


def _relative_position_index(window_size: int) -> Tensor:
    """``(N * N,)`` indices into the ``(2w - 1)^2`` relative offsets of a ``w x w`` window."""
    coords = torch.stack(torch.meshgrid(torch.arange(window_size), torch.arange(window_size),
                                        indexing='ij')).flatten(1)  # 2, N
    relative = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0) + window_size - 1
    return (relative[..., 0] * (2 * window_size - 1) + relative[..., 1]).flatten()


def _region_ids(size: int, window_size: int, shift: int, device: torch.device) -> Tensor:
    """Which of the (up to) three regions each row/column of a shifted grid came from."""
    ids = torch.zeros(size, dtype=torch.long, device=device)
    if shift > 0:
        ids[size - window_size:size - shift] = 1
        ids[size - shift:] = 2
    return ids


class WindowMultiheadAttention(MultiheadAttention):
    """Multi-head self-attention inside (shifted) windows with a relative position bias: the
    W-MSA / SW-MSA of `Swin Transformer <https://arxiv.org/abs/2103.14030>`_.

    The channel-last grid is padded at the bottom/right to a multiple of ``window_size``,
    cyclically shifted up-left by ``shift_size`` (SW-MSA), and cut into windows of
    ``window_size ** 2`` tokens; tokens attend within their window, with a learned bias per
    head and relative offset and, after a shift, a mask between tokens that were not
    neighbours. As in torchvision and the original, the shift is skipped along a side that one
    window already covers, and padded tokens are zeros that take part in attention.

    Parameter names are torchvision's ``ShiftedWindowAttention``'s (``qkv``, ``proj``,
    ``relative_position_bias_table``); the index buffer is derived, so it is not saved.

    Args:
        embed_dims: Token channels ``C``.
        num_heads: Attention heads.
        window_size: Side of a window.
        shift_size: Cyclic shift, ``0`` (W-MSA) or typically ``window_size // 2`` (SW-MSA).
        qkv_bias: Whether the ``qkv`` projection has a bias.
        attn_drop: Dropout rate on the attention weights.
        proj_drop: Dropout rate after the output projection.

    Example:
        >>> attn = WindowMultiheadAttention(96, num_heads=3, window_size=7, shift_size=3)
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
                 attn_drop: float = 0.0,
                 proj_drop: float = 0.0):
        super().__init__(embed_dims, num_heads, qkv_bias, attn_drop, proj_drop)
        if window_size <= 0 or not 0 <= shift_size < window_size:
            raise ValueError(f'{type(self).__name__}: need window_size > 0 and 0 <= shift_size '
                             f'< window_size, got window_size={window_size}, '
                             f'shift_size={shift_size}')
        self.window_size = window_size
        self.shift_size = shift_size
        self.relative_position_bias_table = nn.Parameter(
            torch.zeros((2 * window_size - 1)**2, num_heads))
        nn.init.trunc_normal_(self.relative_position_bias_table, std=0.02)
        self.register_buffer('relative_position_index', _relative_position_index(window_size),
                             persistent=False)

    def relative_position_bias(self) -> Tensor:
        """``(num_heads, N, N)``: the bias between the ``N = window_size ** 2`` tokens."""
        num_tokens = self.window_size**2
        bias = self.relative_position_bias_table[self.relative_position_index]
        return bias.view(num_tokens, num_tokens, -1).permute(2, 0, 1)

    def shift_mask(self, height: int, width: int, shift_h: int, shift_w: int,
                   device: torch.device) -> Tensor:
        """``(num_windows, N, N)``: 0 between tokens of the same region, -100 otherwise."""
        ws = self.window_size
        regions = (_region_ids(height, ws, shift_h, device)[:, None] * 3 +
                   _region_ids(width, ws, shift_w, device)[None, :])
        regions = regions.view(height // ws, ws, width // ws, ws).transpose(1, 2).reshape(
            -1, ws * ws)
        different = regions[:, :, None] != regions[:, None, :]
        return different.float() * _MASKED_LOGIT

    def forward(self, x: Tensor) -> Tensor:  # type: ignore[override]
        """``(B, H, W, C)`` -> ``(B, H, W, C)``."""
        batch, height, width, channels = x.shape
        ws = self.window_size
        pad_h, pad_w = (ws - height % ws) % ws, (ws - width % ws) % ws
        x = F.pad(x, (0, 0, 0, pad_w, 0, pad_h))
        padded_h, padded_w = height + pad_h, width + pad_w
        # A window that covers a whole side has nothing to shift along it.
        shift_h = self.shift_size if ws < padded_h else 0
        shift_w = self.shift_size if ws < padded_w else 0
        shifted = shift_h > 0 or shift_w > 0
        if shifted:
            x = torch.roll(x, shifts=(-shift_h, -shift_w), dims=(1, 2))

        rows, cols = padded_h // ws, padded_w // ws
        windows = x.view(batch, rows, ws, cols, ws, channels).transpose(2, 3).reshape(
            batch, rows * cols, ws * ws, channels)
        mask = self.relative_position_bias()  # heads, N, N
        if shifted:
            window_mask = self.shift_mask(padded_h, padded_w, shift_h, shift_w, x.device)
            mask = mask + window_mask[:, None].to(mask.dtype)  # windows, heads, N, N
        windows = super().forward(windows, attn_mask=mask)

        x = windows.view(batch, rows, cols, ws, ws, channels).transpose(2, 3).reshape(
            batch, padded_h, padded_w, channels)
        if shifted:
            x = torch.roll(x, shifts=(shift_h, shift_w), dims=(1, 2))
        if pad_h or pad_w:
            x = x[:, :height, :width].contiguous()
        return x

    def extra_repr(self) -> str:
        return (f'{super().extra_repr()}, window_size={self.window_size}, '
                f'shift_size={self.shift_size}')


__all__ = ['WindowMultiheadAttention']
