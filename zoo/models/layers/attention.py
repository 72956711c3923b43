import math
from typing import Any, List, Optional

import torch
import torch.nn.functional as F
from mmcv.cnn.bricks.scale import LayerScale
from mmengine.analysis import complexity_analysis
from mmengine.analysis.jit_handles import get_shape
from torch import Tensor, nn


class MultiheadAttention(nn.Module):
    """Multi-head self-attention over tokens ``(B, L, C)``, or ``(B, G, L, C)`` in groups.

    One ``qkv`` projection gives queries, keys and values (in that order along its output, as
    torchvision's ``in_proj_weight`` and mmpretrain's ``qkv``), attention runs per head through
    :func:`torch.nn.functional.scaled_dot_product_attention` (a fused kernel where the device
    has one; written out when an additive bias is given, see :meth:`_biased_attention`) and
    ``proj`` mixes the heads. Tokens may come in groups, ``(B, G, L, C)``, each
    attended to separately: the windows of a Swin stage.

    Args:
        embed_dims: Token channels ``C``.
        num_heads: Attention heads; must divide ``embed_dims``.
        qkv_bias: Whether the ``qkv`` projection has a bias.
        attn_drop: Dropout rate on the attention weights (training only).
        proj_drop: Dropout rate after the output projection.
        qk_scale: Scale of the attention logits; ``None`` is ``head_dims ** -0.5``.
        proj_bias: Whether the output projection has a bias.
        layer_scale_init_value: Initial value of a per-channel output scale (``gamma1``, as
            mmpretrain's); 0 for none.
        input_dims: Channels of the input tokens; ``None`` is ``embed_dims``.
        v_shortcut: Add the values to the output (single-head T2T-ViT tokens, as mmpretrain).

    Example:
        >>> import torch
        >>> attn = MultiheadAttention(embed_dims=64, num_heads=4)
        >>> attn(torch.rand(2, 197, 64)).shape
        torch.Size([2, 197, 64])
        >>> attn(torch.rand(2, 16, 49, 64)).shape          # (batch, windows, tokens, channels)
        torch.Size([2, 16, 49, 64])
    """

    def __init__(self,
                 embed_dims: int,
                 num_heads: int,
                 qkv_bias: bool = True,
                 attn_drop: float = 0.0,
                 proj_drop: float = 0.0,
                 qk_scale: Optional[float] = None,
                 proj_bias: bool = True,
                 layer_scale_init_value: float = 0.0,
                 input_dims: Optional[int] = None,
                 v_shortcut: bool = False):
        super().__init__()
        if num_heads <= 0 or embed_dims % num_heads != 0:
            raise ValueError(f'{type(self).__name__}: num_heads ({num_heads}) must be positive '
                             f'and divide embed_dims ({embed_dims})')
        if not 0.0 <= attn_drop < 1.0:
            raise ValueError(f'{type(self).__name__}: attn_drop must be in [0, 1), '
                             f'got {attn_drop}')
        self.embed_dims = embed_dims
        self.num_heads = num_heads
        self.head_dims = embed_dims // num_heads
        self.attn_drop = attn_drop
        self.scale = qk_scale
        self.v_shortcut = v_shortcut
        self.qkv = nn.Linear(input_dims or embed_dims, embed_dims * 3, bias=qkv_bias)
        self.proj = nn.Linear(embed_dims, embed_dims, bias=proj_bias)
        self.proj_drop = nn.Dropout(proj_drop)
        self.gamma1 = LayerScale(embed_dims, scale=layer_scale_init_value) \
            if layer_scale_init_value > 0 else nn.Identity()

    def forward(self, x: Tensor, attn_mask: Optional[Tensor] = None) -> Tensor:
        """Attend among the ``L`` tokens of each sample (and of each group, e.g. window).

        Args:
            x: Tokens, ``(B, L, C)``, or ``(B, G, L, C)`` for ``G`` groups attended to
                separately (the windows of a Swin stage).
            attn_mask: Added to the attention logits before the softmax (relative position
                bias, shifted-window mask) and shared by all samples: broadcastable to
                ``(heads, L, L)``, or to ``(G, heads, L, L)`` for grouped input.

        Returns:
            Same shape as ``x``.
        """
        if x.dim() not in (3, 4):
            raise ValueError(f'{type(self).__name__}: expected (B, L, C) or (B, G, L, C) '
                             f'tokens, got shape {tuple(x.shape)}')
        batch, length = x.shape[0], x.shape[-2]
        groups = x.shape[1] if x.dim() == 4 else 1
        # Groups are folded into the heads: the fused kernels take 4-D inputs, and a mask
        # shared by all samples then broadcasts over the batch without a per-sample copy.
        qkv = self.qkv(x).reshape(batch, groups, length, 3, self.num_heads, self.head_dims)
        q, k, v = qkv.permute(3, 0, 1, 4, 2, 5).flatten(2, 3).unbind(0)  # B, G*heads, L, d
        if attn_mask is not None:
            attn_mask = attn_mask.expand(groups, self.num_heads, length, length).flatten(0, 1)
            if attn_mask.dtype != torch.bool:
                attn_mask = attn_mask.to(q.dtype)  # under autocast q may be bf16/fp16
        dropout = self.attn_drop if self.training else 0.0
        if attn_mask is None or attn_mask.dtype == torch.bool:
            out = F.scaled_dot_product_attention(
                q, k, v, attn_mask=attn_mask, dropout_p=dropout, scale=self.scale)
        else:
            out = self._biased_attention(q, k, v, attn_mask, dropout)
        out = out.view(batch, groups, self.num_heads, length, self.head_dims).transpose(2, 3)
        out = self.gamma1(self.proj_drop(self.proj(out.reshape(*x.shape[:-1], -1))))
        if self.v_shortcut:  # one head: the values are (B, 1, L, C)
            out = out + v.reshape(out.shape)
        return out

    def _biased_attention(self, q: Tensor, k: Tensor, v: Tensor, bias: Tensor,
                          dropout: float) -> Tensor:
        """``softmax(q * scale @ k^T + bias) @ v``, written out as mmpretrain's, mmdet's and
        torchvision's window attentions write it. With an additive bias on small windows (a
        Swin's 49 tokens) the fused kernel gains nothing: on CPU it is about 20% slower, and
        its different summation order leaves Swin's FPN outputs 1e-5 away from mmdet's; this
        way they are equal, and attention dropout draws the same random numbers."""
        scale = self.head_dims**-0.5 if self.scale is None else self.scale
        attn = ((q * scale) @ k.transpose(-2, -1) + bias).softmax(dim=-1)
        return F.dropout(attn, dropout, training=dropout > 0) @ v

    def extra_repr(self) -> str:
        return f'embed_dims={self.embed_dims}, num_heads={self.num_heads}'


def sdpa_flop_jit(inputs: List[Any], outputs: List[Any]) -> int:
    """Multiply-accumulates of ``aten::scaled_dot_product_attention``.

    The fused kernel replaces ``q @ k^T`` and ``attn @ v``; MMEngine's analysis counts those two
    as ``aten::matmul`` when written out (which is how mmpretrain's published FLOPs were made)
    but skips the fused operator as unsupported. This counts the same two products:
    ``batch * L_q * L_k * (d_k + d_v)``. Scaling, mask and softmax are not counted, as for the
    written-out form.
    """
    q_shape, k_shape, v_shape = (get_shape(value) for value in inputs[:3])
    batch = math.prod(q_shape[:-2])
    return batch * q_shape[-2] * k_shape[-2] * (q_shape[-1] + v_shape[-1])


# MMEngine's FlopAnalyzer (behind get_model_complexity_info) copies this table when it is
# created: adding the fused operator here makes every analysis count it.
complexity_analysis._DEFAULT_SUPPORTED_FLOP_OPS.setdefault('aten::scaled_dot_product_attention',
                                                           sdpa_flop_jit)

__all__ = ['MultiheadAttention', 'sdpa_flop_jit']
