from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmengine.logging import MMLogger
from torch import Tensor, nn

from zoo.registry import MODELS
from ..layers import (FFN, DropPath, MultiheadAttention, PatchEmbed, build_channel_last_norm,
                      drop_path_rates, resize_pos_embed)
from ..utils.init import loads_checkpoint
from .base_backbone import BaseBackbone


class TransformerEncoderLayer(nn.Module):
    """A pre-norm transformer encoder layer: ``x + attn(ln1(x))``, then ``x + ffn(ln2(x))``:
    mmpretrain's, with its arguments (a ViT's ``layer_cfgs`` set them) and module names
    (``ln1``, ``attn.qkv``, ``attn.proj``, ``ln2``, ``ffn.layers.0.0``, ``ffn.layers.1``, and
    ``attn.gamma1``/``ffn.gamma2`` with a layer scale).

    Args:
        embed_dims: Token channels.
        num_heads: Attention heads.
        feedforward_channels: Hidden channels of the FFN.
        layer_scale_init_value: Initial value of the layer scales after the attention and the
            FFN; 0 for none.
        drop_rate: Dropout after the attention projection and in the FFN.
        attn_drop_rate: Dropout on the attention weights.
        drop_path_rate: Stochastic depth of both residual branches.
        num_fcs: Linear layers of the FFN.
        qkv_bias: Whether the ``qkv`` projection has a bias.
        ffn_type: ``'origin'``, the only FFN zoo has (mmpretrain also has ``'swiglu_fused'``).
        act_cfg: FFN activation.
        norm_cfg: Norm config (channel-last, see :func:`build_channel_last_norm`).
    """

    def __init__(self,
                 embed_dims: int,
                 num_heads: int,
                 feedforward_channels: int,
                 layer_scale_init_value: float = 0.0,
                 drop_rate: float = 0.0,
                 attn_drop_rate: float = 0.0,
                 drop_path_rate: float = 0.0,
                 num_fcs: int = 2,
                 qkv_bias: bool = True,
                 ffn_type: str = 'origin',
                 act_cfg: dict = dict(type='GELU'),
                 norm_cfg: dict = dict(type='LN', eps=1e-6)):
        super().__init__()
        if ffn_type != 'origin':
            raise ValueError(f"TransformerEncoderLayer: ffn_type {ffn_type!r} is not supported; "
                             f"zoo has 'origin' only")
        self.ln1 = build_channel_last_norm(norm_cfg, embed_dims)
        self.attn = MultiheadAttention(
            embed_dims,
            num_heads,
            qkv_bias=qkv_bias,
            attn_drop=attn_drop_rate,
            proj_drop=drop_rate,
            layer_scale_init_value=layer_scale_init_value)
        self.ln2 = build_channel_last_norm(norm_cfg, embed_dims)
        self.ffn = FFN(
            embed_dims,
            feedforward_channels,
            act_cfg=act_cfg,
            drop=drop_rate,
            num_fcs=num_fcs,
            layer_scale_init_value=layer_scale_init_value)
        self.drop_path = DropPath(drop_path_rate)

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.drop_path(self.attn(self.ln1(x)))
        return x + self.drop_path(self.ffn(self.ln2(x)))


@MODELS.register_module()
class VisionTransformer(BaseBackbone):
    """Vision Transformer (`An Image is Worth 16x16 Words <https://arxiv.org/abs/2010.11929>`_):
    mmpretrain's ``VisionTransformer``, with its arguments and module names.

    The stem is the patch embedding (``patch_embed``) together with the class token and the
    learned position embedding (``cls_token``, ``pos_embed``); the stages are the encoder layers
    ``layers.0`` ... (as attributes ``layer1`` ... ``layerN``), so ``out_indices`` picks layers
    and ``frozen_stages=k`` freezes the embeddings and the first ``k`` layers. The final norm
    (``ln1``) follows the last layer; ``ln2`` normalises the ``'avg_featmap'`` output. mmpretrain's
    checkpoints load strictly, and with the same weights the network computes what
    torchvision's ``vit_b_16`` / ``vit_l_16`` compute (``tools/model_converters/
    torchvision_to_zoo.py`` renames their keys).

    The position embedding is made for ``img_size``. Another input size gets the embedding
    resized to its patch grid at every forward; a checkpoint whose embedding was trained for
    another grid is resized once when it is loaded.

    Args:
        arch: A row of :attr:`arch_settings` (mmpretrain's: ``'s'``/``'small'`` is its early
            768-channel, 8-layer row; ViT-S/16 as in DeiT and timm is ``'deit-small'``) or a dict
            with ``embed_dims``, ``num_layers``, ``num_heads`` and ``feedforward_channels``.
        img_size: Input size the position embedding is made for (int or ``(h, w)``).
        patch_size: Side of a patch.
        in_channels: Image channels.
        out_indices: Layers whose outputs are returned (``-1``: the last).
        drop_rate: Dropout after the position embedding, the attention projections and in the
            FFNs.
        drop_path_rate: Stochastic depth of the last layer, rising linearly from 0 at the first.
        qkv_bias: Whether the ``qkv`` projections have a bias.
        norm_cfg: Norm config for every norm, channel-last: ``dict(type='LN', eps=1e-6)`` as
            the paper, or ``dict(type='BN')``.
        final_norm: Whether the output of the last layer is normalised (``ln1``).
        out_type: What each output is: ``'cls_token'`` ``(B, C)``; ``'featmap'``, the patch
            tokens as a map ``(B, C, H / p, W / p)``; ``'avg_featmap'``, the mean patch token,
            normalised by ``ln2``, ``(B, C)``; ``'raw'``, all tokens ``(B, L, C)``.
        with_cls_token: Whether a class token is prepended (needed for ``'cls_token'``).
        frozen_stages: ``-1`` freezes nothing, ``0`` the embeddings (and ``pre_norm``), ``k``
            also the first ``k`` layers (and the final norms when ``k`` is the number of layers).
        interpolate_mode: Interpolation of the position embedding on a size change.
        layer_scale_init_value: Initial value of the layer scales of every layer; 0 for none.
        patch_cfg: Arguments of :class:`~zoo.models.layers.PatchEmbed` (mmcv's) overriding
            the defaults.
        layer_cfgs: Arguments of :class:`TransformerEncoderLayer` overriding the defaults, one
            dict for all layers or one per layer.
        pre_norm: Normalise the tokens before the first layer (CLIP; the patch projection then
            has no bias).
        init_cfg: Initialisation (truncated normal for linear layers, as mmpretrain and timm);
            the position embedding gets a truncated normal of std 0.02 unless a checkpoint is
            loaded.
        attn_drop_rate: Dropout on the attention weights (zoo's; mmpretrain sets it through
            ``layer_cfgs``).
        norm_eval: Whether BatchNorm layers (``norm_cfg=dict(type='BN')``) stay in eval mode.

    Example:
        >>> import torch
        >>> from zoo.models.backbones import VisionTransformer
        >>> model = VisionTransformer(arch='deit-small', img_size=64, out_type='featmap',
        ...                           out_indices=(3, 11)).eval()
        >>> [tuple(out.shape) for out in model(torch.rand(1, 3, 64, 64))]
        [(1, 384, 4, 4), (1, 384, 4, 4)]
        >>> [tuple(out.shape) for out in model(torch.rand(1, 3, 96, 64))]   # another size
        [(1, 384, 6, 4), (1, 384, 6, 4)]
    """

    arch_settings: Dict[str, Dict[str, int]] = {
        **dict.fromkeys(['s', 'small'], dict(
            embed_dims=768, num_layers=8, num_heads=8, feedforward_channels=768 * 3)),
        **dict.fromkeys(['b', 'base'], dict(
            embed_dims=768, num_layers=12, num_heads=12, feedforward_channels=3072)),
        **dict.fromkeys(['l', 'large'], dict(
            embed_dims=1024, num_layers=24, num_heads=16, feedforward_channels=4096)),
        **dict.fromkeys(['h', 'huge'], dict(
            embed_dims=1280, num_layers=32, num_heads=16, feedforward_channels=5120)),
        **dict.fromkeys(['eva-g', 'eva-giant'], dict(
            embed_dims=1408, num_layers=40, num_heads=16, feedforward_channels=6144)),
        **dict.fromkeys(['deit-t', 'deit-tiny'], dict(
            embed_dims=192, num_layers=12, num_heads=3, feedforward_channels=192 * 4)),
        **dict.fromkeys(['deit-s', 'deit-small', 'dinov2-s', 'dinov2-small'], dict(
            embed_dims=384, num_layers=12, num_heads=6, feedforward_channels=384 * 4)),
        **dict.fromkeys(['deit-b', 'deit-base'], dict(
            embed_dims=768, num_layers=12, num_heads=12, feedforward_channels=768 * 4)),
        **dict.fromkeys(['dinov2-g', 'dinov2-giant'], dict(
            embed_dims=1536, num_layers=40, num_heads=24, feedforward_channels=6144)),
    }  # yapf: disable
    arch_keys = ('embed_dims', 'num_layers', 'num_heads', 'feedforward_channels')
    OUT_TYPES = ('cls_token', 'featmap', 'avg_featmap', 'raw')

    def __init__(self,
                 arch: Union[str, dict] = 'base',
                 img_size: Union[int, Sequence[int]] = 224,
                 patch_size: int = 16,
                 in_channels: int = 3,
                 out_indices: Union[int, Sequence[int]] = -1,
                 drop_rate: float = 0.0,
                 drop_path_rate: float = 0.0,
                 qkv_bias: bool = True,
                 norm_cfg: dict = dict(type='LN', eps=1e-6),
                 final_norm: bool = True,
                 out_type: str = 'cls_token',
                 with_cls_token: bool = True,
                 frozen_stages: int = -1,
                 interpolate_mode: str = 'bicubic',
                 layer_scale_init_value: float = 0.0,
                 patch_cfg: dict = dict(),
                 layer_cfgs: Union[dict, Sequence[dict]] = dict(),
                 pre_norm: bool = False,
                 init_cfg: Optional[Union[dict, List[dict]]] = [
                     dict(type='TruncNormal', layer='Linear', std=0.02, bias=0.0),
                     dict(type='Kaiming', layer='Conv2d', mode='fan_in', nonlinearity='linear'),
                     dict(type='Constant', layer=['LayerNorm', '_BatchNorm'], val=1.0, bias=0.0),
                 ],
                 attn_drop_rate: float = 0.0,
                 norm_eval: bool = False):
        super().__init__(out_indices, frozen_stages, norm_eval, init_cfg)
        self.arch = self.parse_arch(arch)
        if out_type not in self.OUT_TYPES:
            raise ValueError(f'{type(self).__name__}: out_type {out_type!r} is not one of '
                             f'{self.OUT_TYPES}')
        if out_type == 'cls_token' and not with_cls_token:
            raise ValueError(f"{type(self).__name__}: out_type='cls_token' needs "
                             f'with_cls_token=True')
        self.out_type = out_type
        self.with_cls_token = with_cls_token
        self.num_extra_tokens = 1 if with_cls_token else 0
        self.embed_dims = embed_dims = self.arch['embed_dims']
        self.num_layers = num_layers = self.arch['num_layers']
        img_size = (img_size, img_size) if isinstance(img_size, int) else tuple(img_size)
        if len(img_size) != 2 or min(img_size) < patch_size:
            raise ValueError(f'{type(self).__name__}: img_size {img_size} must be (h, w) of '
                             f'at least one {patch_size}x{patch_size} patch')
        self.img_size = img_size
        self.patch_size = patch_size
        self.in_channels = in_channels
        self.interpolate_mode = interpolate_mode

        self.patch_embed = patch_embed = PatchEmbed(
            **{
                **dict(
                    in_channels=in_channels,
                    input_size=img_size,
                    embed_dims=embed_dims,
                    conv_type='Conv2d',
                    kernel_size=patch_size,
                    stride=patch_size,
                    bias=not pre_norm),
                **patch_cfg
            })
        # The patch grid the position embedding is made for.
        self.patch_resolution = patch_embed.out_size(img_size)
        num_patches = self.patch_resolution[0] * self.patch_resolution[1]

        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dims)) if with_cls_token \
            else None
        self.pos_embed = nn.Parameter(
            torch.zeros(1, self.num_extra_tokens + num_patches, embed_dims))
        self.drop_after_pos = nn.Dropout(drop_rate)
        self.register_load_state_dict_pre_hook(self._resize_loaded_pos_embed)

        if isinstance(layer_cfgs, dict):
            layer_cfgs = [layer_cfgs] * num_layers
        if len(layer_cfgs) != num_layers:
            raise ValueError(f'{type(self).__name__}: layer_cfgs has {len(layer_cfgs)} dicts '
                             f'for {num_layers} layers')
        rates = drop_path_rates(drop_path_rate, num_layers)
        self.layers = nn.ModuleList([
            TransformerEncoderLayer(
                **{
                    **dict(
                        embed_dims=embed_dims,
                        num_heads=self.arch['num_heads'],
                        feedforward_channels=self.arch['feedforward_channels'],
                        layer_scale_init_value=layer_scale_init_value,
                        drop_rate=drop_rate,
                        attn_drop_rate=attn_drop_rate,
                        drop_path_rate=rates[i],
                        qkv_bias=qkv_bias,
                        norm_cfg=norm_cfg),
                    **layer_cfgs[i]
                }) for i in range(num_layers)
        ])
        self.pre_norm = build_channel_last_norm(norm_cfg, embed_dims) if pre_norm \
            else nn.Identity()
        self.final_norm = final_norm
        if final_norm:
            self.ln1 = build_channel_last_norm(norm_cfg, embed_dims)
        if out_type == 'avg_featmap':
            self.ln2 = build_channel_last_norm(norm_cfg, embed_dims)
        self._set_stages({
            f'layer{i + 1}': layer
            for i, layer in enumerate(self.layers)
        }, [embed_dims] * num_layers,
                         stem=dict(patch_embed=patch_embed),
                         register=False)

    def frozen_modules(self) -> List[nn.Module]:
        modules = super().frozen_modules()
        if self.frozen_stages >= 0:
            modules.append(self.pre_norm)
        if self.frozen_stages == self.num_stages:
            modules += [getattr(self, name) for name in ('ln1', 'ln2') if hasattr(self, name)]
        return modules

    def _freeze_stages(self) -> None:
        super()._freeze_stages()
        if self.frozen_stages >= 0:
            if self.cls_token is not None:
                self.cls_token.requires_grad = False
            self.pos_embed.requires_grad = False

    def init_weights(self) -> None:
        super().init_weights()
        if not loads_checkpoint(self.init_cfg):
            nn.init.trunc_normal_(self.pos_embed, std=0.02)

    def _resize_loaded_pos_embed(self, module: nn.Module, state_dict: dict, prefix: str,
                                 *args) -> None:
        """Load-time hook: fit a checkpoint's position embedding made for another grid (or
        with a class token this model does not have), as mmpretrain's ``_prepare_pos_embed``.

        The checkpoint's grid is taken to be square, as published ViTs are."""
        key = prefix + 'pos_embed'
        if key not in state_dict:
            return
        loaded = state_dict[key]
        if not self.with_cls_token and loaded.dim() == 3 and \
                loaded.shape[1] == self.pos_embed.shape[1] + 1:
            loaded = state_dict[key] = loaded[:, 1:]
        if loaded.shape == self.pos_embed.shape:
            return
        num_patches = loaded.shape[1] - self.num_extra_tokens
        side = int(round(num_patches**0.5))
        if loaded.dim() != 3 or side * side != num_patches:
            raise ValueError(f'{type(self).__name__}: cannot resize the checkpoint\'s {key} of '
                             f'shape {tuple(loaded.shape)}: it does not hold '
                             f'{self.num_extra_tokens} extra tokens and a square patch grid')
        MMLogger.get_current_instance().info(
            f'Resize {key} from a {side}x{side} to a {self.patch_resolution[0]}x'
            f'{self.patch_resolution[1]} patch grid')
        state_dict[key] = resize_pos_embed(loaded, (side, side), self.patch_resolution,
                                           self.interpolate_mode, self.num_extra_tokens)

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        x = self.patch_embed(x)  # B, h, w, C
        batch, height, width, _ = x.shape
        x = x.flatten(1, 2)
        if self.cls_token is not None:
            x = torch.cat([self.cls_token.expand(batch, -1, -1), x], dim=1)
        x = x + resize_pos_embed(self.pos_embed, self.patch_resolution,
                                 (height, width), self.interpolate_mode, self.num_extra_tokens)
        x = self.pre_norm(self.drop_after_pos(x))

        outs = []
        for i, name in enumerate(self.stage_names):
            x = getattr(self, name)(x)
            if i == self.num_stages - 1 and self.final_norm:
                x = self.ln1(x)
            if i in self.out_indices:
                outs.append(self._format_output(x, (height, width)))
            if i == self.out_indices[-1]:
                break  # later layers would be computed for nothing
        return tuple(outs)

    def _format_output(self, x: Tensor, grid: Tuple[int, int]) -> Tensor:
        if self.out_type == 'raw':
            return x
        if self.out_type == 'cls_token':
            return x[:, 0]
        patches = x[:, self.num_extra_tokens:]
        if self.out_type == 'featmap':
            return patches.reshape(x.shape[0], *grid, -1).permute(0, 3, 1, 2)
        return self.ln2(patches.mean(dim=1))  # avg_featmap

    def get_layer_depth(self, param_name: str) -> Tuple[int, int]:
        """Depth for layer-wise learning-rate decay, as mmpretrain's ViT: the embeddings
        (``patch_embed``, ``cls_token``, ``pos_embed``) at 0, ``layers.<i>`` at ``i + 1``, the
        final norms and anything above the backbone at ``max_depth = num_layers + 1``.

        Example:
            >>> model = VisionTransformer(arch='deit-small', img_size=32)
            >>> model.get_layer_depth('cls_token'), model.get_layer_depth('layers.11.ln1.weight')
            ((0, 13), (12, 13))
        """
        if param_name in ('cls_token', 'pos_embed'):
            return 0, self.num_stages + 1
        return super().get_layer_depth(param_name)


__all__ = ['VisionTransformer', 'TransformerEncoderLayer']
