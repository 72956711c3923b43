from typing import Dict, List, Optional, Sequence, Tuple, Union

from torch import Tensor, nn

from zoo.registry import MODELS
from ..layers import (FFN, DropPath, PatchEmbed, PatchMerging, WindowMultiheadAttention,
                      build_channel_last_norm, drop_path_rates)
from .base_backbone import BaseBackbone


class SwinBlock(nn.Module):
    """A Swin Transformer block on a channel-last grid: ``x + (S)W-MSA(norm1(x))``, then
    ``x + ffn(norm2(x))``.

    Args:
        embed_dims: Channels.
        num_heads: Attention heads.
        window_size: Side of the attention windows.
        shift: Whether the windows are shifted by ``window_size // 2`` (every second block).
        mlp_ratio: FFN hidden channels over ``embed_dims``.
        qkv_bias: Whether the ``qkv`` projection has a bias.
        drop_rate: Dropout after the attention projection and in the FFN.
        attn_drop_rate: Dropout on the attention weights.
        drop_path_rate: Stochastic depth of both residual branches.
        norm_cfg: Norm config (channel-last).
    """

    def __init__(self,
                 embed_dims: int,
                 num_heads: int,
                 window_size: int = 7,
                 shift: bool = False,
                 mlp_ratio: float = 4.0,
                 qkv_bias: bool = True,
                 drop_rate: float = 0.0,
                 attn_drop_rate: float = 0.0,
                 drop_path_rate: float = 0.0,
                 norm_cfg: dict = dict(type='LN')):
        super().__init__()
        self.norm1 = build_channel_last_norm(norm_cfg, embed_dims)
        self.attn = WindowMultiheadAttention(
            embed_dims, num_heads, window_size, shift_size=window_size // 2 if shift else 0,
            qkv_bias=qkv_bias, attn_drop=attn_drop_rate, proj_drop=drop_rate)
        self.norm2 = build_channel_last_norm(norm_cfg, embed_dims)
        self.ffn = FFN(embed_dims, int(embed_dims * mlp_ratio), drop=drop_rate)
        self.drop_path = DropPath(drop_path_rate)

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.drop_path(self.attn(self.norm1(x)))
        return x + self.drop_path(self.ffn(self.norm2(x)))


class SwinStage(nn.Module):
    """One stage: an optional patch merging (``downsample``, every stage but the first) that
    halves the resolution and doubles the channels, then ``depth`` blocks whose windows are
    shifted in every second one.

    Args:
        in_channels: Channels of the input grid.
        embed_dims: Channels of the stage (``2 * in_channels`` after a merge).
        depth: Number of blocks.
        num_heads: Attention heads of every block.
        downsample: Whether the stage starts with a patch merging.
        drop_path_rates: Stochastic depth of each block.
        norm_cfg: Norm config (channel-last).
        **block_kwargs: ``window_size``, ``mlp_ratio``, ``qkv_bias``, ``drop_rate``,
            ``attn_drop_rate`` of :class:`SwinBlock`.
    """

    def __init__(self,
                 in_channels: int,
                 embed_dims: int,
                 depth: int,
                 num_heads: int,
                 downsample: bool,
                 drop_path_rates: Sequence[float],
                 norm_cfg: dict = dict(type='LN'),
                 **block_kwargs):
        super().__init__()
        self.downsample = PatchMerging(in_channels, embed_dims, norm_cfg) if downsample \
            else None
        self.blocks = nn.Sequential(*[
            SwinBlock(embed_dims, num_heads, shift=i % 2 == 1,
                      drop_path_rate=drop_path_rates[i], norm_cfg=norm_cfg, **block_kwargs)
            for i in range(depth)
        ])

    def forward(self, x: Tensor) -> Tensor:
        if self.downsample is not None:
            x = self.downsample(x)
        return self.blocks(x)


@MODELS.register_module()
class SwinTransformer(BaseBackbone):
    """Swin Transformer (`Hierarchical Vision Transformer using Shifted Windows
    <https://arxiv.org/abs/2103.14030>`_), v1.

    The stem is the 4x4 patch embedding with its norm (``patch_embed``); stage ``i``
    (``stage1`` ... ``stage4``) merges 2x2 patches (from the second stage on) and runs its
    blocks, so its output has ``embed_dims * 2**i`` channels at stride ``4 * 2**i``. Every
    returned stage output goes through its own norm (``norm0`` ... ``norm3``, indexed like
    ``out_indices``) and is given as an NCHW map, ready for an FPN; the classifier takes the
    last one (``norm3`` is torchvision's final ``norm``) through ``GlobalAveragePooling``. With
    the same weights the network computes what torchvision's ``swin_t`` / ``swin_s`` /
    ``swin_b`` compute (``tools/model_converters/torchvision_to_zoo.py`` renames their keys).

    Any input size works: grids are padded to a multiple of the window inside each attention
    (and to even sides before a merge), as in torchvision and the original.

    Args:
        arch: A row of :attr:`arch_settings` (``'tiny'``, ``'small'``, ``'base'``, or
            ``'t'``, ``'s'``, ``'b'``) or a dict with ``embed_dims``, ``depths``, ``num_heads``.
        patch_size: Side of a patch of the stem.
        in_channels: Image channels.
        window_size: Side of the attention windows.
        mlp_ratio: FFN hidden channels over the block channels.
        qkv_bias: Whether the ``qkv`` projections have a bias.
        drop_rate: Dropout after the patch embedding, the attention projections and in FFNs.
        attn_drop_rate: Dropout on the attention weights.
        drop_path_rate: Stochastic depth of the last block, rising linearly from 0 at the
            first block of the network (0.2 / 0.3 / 0.5 train Swin-T / S / B).
        out_indices: Stages whose (normalised) outputs are returned.
        frozen_stages: ``-1`` freezes nothing, ``0`` the stem, ``k`` also the first ``k`` stages
            and their output norms.
        norm_cfg: Norm config for every norm, channel-last (``dict(type='LN')`` or ``'BN'``).
        norm_eval: Whether BatchNorm layers stay in eval mode in training.
        init_cfg: Initialisation (truncated normal for linear layers, as mmpretrain).

    Example:
        >>> import torch
        >>> from zoo.models.backbones import SwinTransformer
        >>> model = SwinTransformer(arch='tiny', out_indices=(0, 1, 2, 3)).eval()
        >>> for out in model(torch.rand(1, 3, 224, 224)):
        ...     print(tuple(out.shape))
        (1, 96, 56, 56)
        (1, 192, 28, 28)
        (1, 384, 14, 14)
        (1, 768, 7, 7)
    """

    arch_settings: Dict[str, dict] = {
        **dict.fromkeys(['t', 'tiny'], dict(
            embed_dims=96, depths=(2, 2, 6, 2), num_heads=(3, 6, 12, 24))),
        **dict.fromkeys(['s', 'small'], dict(
            embed_dims=96, depths=(2, 2, 18, 2), num_heads=(3, 6, 12, 24))),
        **dict.fromkeys(['b', 'base'], dict(
            embed_dims=128, depths=(2, 2, 18, 2), num_heads=(4, 8, 16, 32))),
    }  # yapf: disable
    arch_keys = ('embed_dims', 'depths', 'num_heads')

    def __init__(self,
                 arch: Union[str, dict] = 'tiny',
                 patch_size: int = 4,
                 in_channels: int = 3,
                 window_size: int = 7,
                 mlp_ratio: float = 4.0,
                 qkv_bias: bool = True,
                 drop_rate: float = 0.0,
                 attn_drop_rate: float = 0.0,
                 drop_path_rate: float = 0.1,
                 out_indices: Union[int, Sequence[int]] = (3, ),
                 frozen_stages: int = -1,
                 norm_cfg: dict = dict(type='LN'),
                 norm_eval: bool = False,
                 init_cfg: Optional[Union[dict, List[dict]]] = [
                     dict(type='TruncNormal', layer='Linear', std=0.02, bias=0.0),
                     dict(type='Constant', layer=['LayerNorm', '_BatchNorm'], val=1.0,
                          bias=0.0),
                 ]):
        super().__init__(out_indices, frozen_stages, norm_eval, init_cfg)
        self.arch = self.parse_arch(arch)
        depths, num_heads = self.arch['depths'], self.arch['num_heads']
        if len(depths) != len(num_heads):
            raise ValueError(f'{type(self).__name__}: arch depths {depths} and num_heads '
                             f'{num_heads} differ in length')
        self.in_channels = in_channels
        self.window_size = window_size
        channels = [self.arch['embed_dims'] * 2**i for i in range(len(depths))]

        self.drop_after_pos = nn.Dropout(drop_rate)
        # Stochastic depth rises linearly over all the blocks of the network.
        rates = drop_path_rates(drop_path_rate, sum(depths))
        stages = {}
        for i, (depth, heads) in enumerate(zip(depths, num_heads)):
            stages[f'stage{i + 1}'] = SwinStage(
                channels[max(i - 1, 0)], channels[i], depth, heads, downsample=i > 0,
                drop_path_rates=rates[:depth], norm_cfg=norm_cfg,
                window_size=window_size, mlp_ratio=mlp_ratio, qkv_bias=qkv_bias,
                drop_rate=drop_rate, attn_drop_rate=attn_drop_rate)
            rates = rates[depth:]
        stem = dict(patch_embed=PatchEmbed(in_channels, channels[0], patch_size, norm_cfg))
        self._set_stages(stages, channels, stem)
        # One norm per returned stage, named after its index as in mmpretrain and mmdet.
        for i in self.out_indices:
            self.add_module(f'norm{i}', build_channel_last_norm(norm_cfg, channels[i]))
        self._freeze_stages()

    def frozen_modules(self) -> List[nn.Module]:
        modules = super().frozen_modules()
        # The output norms of frozen stages freeze with them (they exist once built).
        for i in range(max(self.frozen_stages, 0)):
            norm = getattr(self, f'norm{i}', None)
            if norm is not None:
                modules.append(norm)
        return modules

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        x = self.drop_after_pos(self.patch_embed(x))  # B, H, W, C
        outs = []
        for i, name in enumerate(self.stage_names):
            x = getattr(self, name)(x)
            if i in self.out_indices:
                out = getattr(self, f'norm{i}')(x)
                outs.append(out.permute(0, 3, 1, 2).contiguous())
            if i == self.out_indices[-1]:
                break  # later stages would be computed for nothing
        return tuple(outs)


__all__ = ['SwinTransformer', 'SwinStage', 'SwinBlock']
