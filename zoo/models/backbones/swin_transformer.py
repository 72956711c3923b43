from copy import deepcopy
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.utils.checkpoint as cp
from mmcv.cnn.bricks.drop import build_dropout
from mmengine.logging import MMLogger
from torch import Tensor, nn

from zoo.registry import MODELS
from ..layers import (FFN, PatchEmbed, PatchMerging, ShiftWindowMSA, build_channel_last_norm,
                      drop_path_rates, resize_pos_embed)
from ..utils.init import fold_pretrained, loads_checkpoint
from ..utils.peer import resolve_peer
from .base_backbone import BaseBackbone

# mmcv FFN arguments -> zoo FFN arguments (mmpretrain's ffn_cfgs use mmcv's names)
_FFN_ALIASES = dict(ffn_drop='drop')

# The defaults on which mmdet's Swin and mmpretrain's disagree (see zoo.models.utils.peer).
# mmdet pads every map to whole windows and shifts them, however small the map; mmpretrain
# does so only with pad_small_map. mmdet's frozen_stages=k freezes k stages, mmpretrain's k + 1.
PEER_DEFAULTS = {
    'mmdet': dict(out_indices=(0, 1, 2, 3), pad_small_map=True, frozen_stages_inclusive=False),
    'mmpretrain': dict(out_indices=(3, ), pad_small_map=False, frozen_stages_inclusive=True),
}
# mmdet's architecture arguments, where mmpretrain takes one arch
_MMDET_ARCH = dict(embed_dims=96, depths=(2, 2, 6, 2), num_heads=(3, 6, 12, 24))


class SwinBlock(nn.Module):
    """A Swin Transformer block on a channel-last grid: ``x + (S)W-MSA(norm1(x))``, then
    ``x + ffn(norm2(x))``: mmpretrain's ``SwinBlock``, with its arguments (a Swin's
    ``stage_cfgs=dict(block_cfgs=...)`` set them) and module names (``norm1``,
    ``attn.w_msa.*``, ``norm2``, ``ffn.layers.*``).

    Args:
        embed_dims: Channels.
        num_heads: Attention heads.
        window_size: Side of the attention windows.
        shift: Whether the windows are shifted by ``window_size // 2`` (every second block).
        ffn_ratio: FFN hidden channels over ``embed_dims``.
        drop_path: Stochastic depth of both residual branches.
        pad_small_map: See :class:`~zoo.models.layers.ShiftWindowMSA`.
        attn_cfgs: Arguments of :class:`~zoo.models.layers.ShiftWindowMSA` overriding the
            defaults.
        ffn_cfgs: Arguments of the FFN overriding the defaults, in mmcv's names
            (``feedforward_channels``, ``num_fcs``, ``ffn_drop``, ``act_cfg``,
            ``dropout_layer``, ``layer_scale_init_value``).
        norm_cfg: Norm config (channel-last).
        with_cp: Recompute the block in the backward pass (gradient checkpointing).
    """

    def __init__(self,
                 embed_dims: int,
                 num_heads: int,
                 window_size: int = 7,
                 shift: bool = False,
                 ffn_ratio: float = 4.0,
                 drop_path: float = 0.0,
                 pad_small_map: bool = False,
                 attn_cfgs: dict = dict(),
                 ffn_cfgs: dict = dict(),
                 norm_cfg: dict = dict(type='LN'),
                 with_cp: bool = False):
        super().__init__()
        self.with_cp = with_cp
        self.norm1 = build_channel_last_norm(norm_cfg, embed_dims)
        self.attn = ShiftWindowMSA(
            **{
                **dict(
                    embed_dims=embed_dims,
                    num_heads=num_heads,
                    window_size=window_size,
                    shift_size=window_size // 2 if shift else 0,
                    dropout_layer=dict(type='DropPath', drop_prob=drop_path),
                    pad_small_map=pad_small_map),
                **attn_cfgs
            })
        self.norm2 = build_channel_last_norm(norm_cfg, embed_dims)
        ffn_cfg = {
            **dict(
                embed_dims=embed_dims,
                feedforward_channels=int(embed_dims * ffn_ratio),
                num_fcs=2,
                ffn_drop=0.0,
                act_cfg=dict(type='GELU'),
                dropout_layer=dict(type='DropPath', drop_prob=drop_path)),
            **ffn_cfgs
        }
        if not ffn_cfg.pop('add_identity', True):
            raise ValueError('SwinBlock: ffn_cfgs add_identity=False is not supported; the '
                             'block always adds the residual')
        dropout_layer = ffn_cfg.pop('dropout_layer')
        self.ffn = FFN(**{_FFN_ALIASES.get(key, key): value for key, value in ffn_cfg.items()})
        self.ffn_drop_path = build_dropout(dropout_layer) if dropout_layer else nn.Identity()

    def _forward(self, x: Tensor) -> Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.ffn_drop_path(self.ffn(self.norm2(x)))

    def forward(self, x: Tensor) -> Tensor:
        if self.with_cp and x.requires_grad:
            return cp.checkpoint(self._forward, x, use_reentrant=False)
        return self._forward(x)


class SwinBlockSequence(nn.Module):
    """The blocks of one stage (``blocks``, the windows of every second one shifted) and the
    patch merging that follows them (``downsample``, all stages but the last): mmpretrain's
    ``SwinBlockSequence``, with its arguments (a Swin's ``stage_cfgs`` set them).

    Args:
        embed_dims: Channels of the blocks.
        depth: Number of blocks.
        num_heads: Attention heads of every block.
        window_size: Side of the attention windows.
        downsample: Whether a patch merging follows the blocks.
        downsample_cfg: Arguments of :class:`~zoo.models.layers.PatchMerging` overriding the
            defaults (``out_channels=2 * embed_dims``, ``norm_cfg=dict(type='LN')``).
        drop_paths: Stochastic depth of each block (or one rate for all).
        block_cfgs: Arguments of :class:`SwinBlock` overriding the defaults, one dict for all
            blocks or one per block.
        with_cp: Gradient checkpointing of every block.
        pad_small_map: See :class:`~zoo.models.layers.ShiftWindowMSA`.
    """

    def __init__(self,
                 embed_dims: int,
                 depth: int,
                 num_heads: int,
                 window_size: int = 7,
                 downsample: bool = False,
                 downsample_cfg: dict = dict(),
                 drop_paths: Union[float, Sequence[float]] = 0.0,
                 block_cfgs: Union[dict, Sequence[dict]] = dict(),
                 with_cp: bool = False,
                 pad_small_map: bool = False):
        super().__init__()
        if not isinstance(drop_paths, Sequence):
            drop_paths = [drop_paths] * depth
        if not isinstance(block_cfgs, Sequence):
            block_cfgs = [deepcopy(block_cfgs) for _ in range(depth)]
        self.embed_dims = embed_dims
        self.blocks = nn.ModuleList([
            SwinBlock(
                **{
                    **dict(
                        embed_dims=embed_dims,
                        num_heads=num_heads,
                        window_size=window_size,
                        shift=i % 2 == 1,
                        drop_path=drop_paths[i],
                        with_cp=with_cp,
                        pad_small_map=pad_small_map),
                    **block_cfgs[i]
                }) for i in range(depth)
        ])
        self.downsample = PatchMerging(
            **{
                **dict(
                    in_channels=embed_dims, out_channels=2 * embed_dims, norm_cfg=dict(type='LN')),
                **downsample_cfg
            }) if downsample else None

    @property
    def out_channels(self) -> int:
        return self.downsample.out_channels if self.downsample else self.embed_dims

    def forward(self, x: Tensor, do_downsample: bool = True) -> Tensor:
        for block in self.blocks:
            x = block(x)
        return self.downsample(x) if self.downsample is not None and do_downsample else x


@MODELS.register_module()
class SwinTransformer(BaseBackbone):
    """Swin Transformer (`Hierarchical Vision Transformer using Shifted Windows
    <https://arxiv.org/abs/2103.14030>`_), v1: mmpretrain's ``SwinTransformer``, with its
    arguments and module names.

    The stem is the 4x4 patch embedding with its norm (``patch_embed``); the stages
    ``stages.<i>`` (as attributes ``stage1`` ... ``stage4``) hold stage ``i``'s blocks and the
    patch merging that follows them (mmpretrain's layout). Stage ``i`` outputs its blocks'
    map, ``embed_dims * 2**i`` channels at stride ``4 * 2**i`` (with ``out_after_downsample``,
    the merged map instead). Every returned stage
    output goes through its own norm (``norm0`` ... ``norm3``, indexed like ``out_indices``)
    and is given as an NCHW map, ready for an FPN; the classifier takes the last one
    (``norm3`` is torchvision's final ``norm``) through ``GlobalAveragePooling``. mmpretrain's
    checkpoints load strictly; with the same weights the network computes what torchvision's
    ``swin_t`` / ``swin_s`` / ``swin_b`` compute (``tools/model_converters/torchvision_to_zoo.py``
    converts their keys and patch-merging channel order).

    Any input size works: grids are padded to a multiple of the window inside each attention
    (and odd sides before a merge); see :class:`~zoo.models.layers.ShiftWindowMSA` for grids of
    one window or less.

    **Peer defaults.** The class takes the arguments of both mmpretrain's and mmdet's
    ``SwinTransformer`` (the same state-dict keys), so an mmdet config that names
    ``type='zoo.SwinTransformer'`` builds mmdet's network. ``peer`` says whose defaults apply
    (``None``: mmdet's under mmdet's default scope, mmpretrain's otherwise; see
    :mod:`zoo.models.utils.peer`); an argument given explicitly always wins:

    ============================ ====================== =====================
    argument / behaviour         ``peer='mmdet'``       ``peer='mmpretrain'``
    ============================ ====================== =====================
    ``out_indices``              ``(0, 1, 2, 3)``       ``(3, )``
    ``pad_small_map``            ``True``               ``False``
    ``frozen_stages=k`` freezes  stem, stages 0..k-1    stem, stages 0..k
    a checkpoint's final norm    not loaded             loaded as ``norm3``
    ``init_cfg`` ``Pretrained``  mmdet's: the           zoo's ``Pretrained``
                                 ``backbone.`` keys     (``prefix`` as given)
    ============================ ====================== =====================

    mmdet's names map onto mmpretrain's: ``embed_dims`` / ``depths`` / ``num_heads`` make the
    ``arch``, ``pretrain_img_size`` is ``img_size``, ``strides`` are the patch embedding's and
    the mergings' strides, ``patch_norm``, ``qk_scale`` and ``act_cfg`` go to the patch
    embedding, the attentions and the FFNs, and under ``peer='mmdet'`` ``norm_cfg`` is the norm
    of every layer (mmpretrain's is that of the outputs only).

    Args:
        arch: A row of :attr:`arch_settings` (``'tiny'``, ``'small'``, ``'base'``, ``'large'``
            or ``'t'``, ``'s'``, ``'b'``, ``'l'``) or a dict with ``embed_dims``, ``depths``,
            ``num_heads`` (``None``: ``'tiny'``, or mmdet's ``embed_dims``... when given).
        img_size: Input size the absolute position embedding is made for.
        patch_size: Side of a patch of the stem.
        in_channels: Image channels.
        window_size: Side of the attention windows.
        drop_rate: Dropout after the patch embedding.
        drop_path_rate: Stochastic depth of the last block, rising linearly from 0 at the
            first block of the network (0.2 / 0.3 / 0.5 train Swin-T / S / B).
        out_indices: Stages whose (normalised) outputs are returned (``None``: the peer's).
        out_after_downsample: Return each stage's output after its patch merging.
        use_abs_pos_embed: Add a learned absolute position embedding (``absolute_pos_embed``)
            after the patch embedding.
        interpolate_mode: Interpolation of that embedding on a size change.
        with_cp: Gradient checkpointing of every block.
        frozen_stages: ``-1`` freezes nothing; ``k`` the stem (with the position embedding)
            and the first stages (each with its merging) and their output norms, how many
            as the table says.
        norm_eval: Whether BatchNorm layers stay in eval mode in training.
        pad_small_map: See :class:`~zoo.models.layers.ShiftWindowMSA` (``None``: the peer's).
        norm_cfg: Norm of the outputs (``norm<i>``; ``None`` for none); the blocks use
            LayerNorm unless ``stage_cfgs`` says otherwise, as in mmpretrain (mmdet: see
            above).
        stage_cfgs: Arguments of :class:`SwinBlockSequence` overriding the defaults, one dict
            for all stages or one per stage.
        patch_cfg: Arguments of :class:`~zoo.models.layers.PatchEmbed` overriding the defaults.
        init_cfg: Initialisation (truncated normal for linear layers, as both peers).
        mlp_ratio: FFN hidden channels over the block channels (mmdet's; mmpretrain's
            ``block_cfgs=dict(ffn_ratio=...)``).
        qkv_bias: Whether the ``qkv`` projections have a bias (mmdet's).
        attn_drop_rate: Dropout on the attention weights (mmdet's).
        pretrain_img_size: mmdet's name of ``img_size``.
        embed_dims: mmdet's: channels of the first stage (default 96).
        depths: mmdet's: blocks per stage (default ``(2, 2, 6, 2)``).
        num_heads: mmdet's: attention heads per stage (default ``(3, 6, 12, 24)``).
        strides: mmdet's: stride of the patch embedding, then of each merging (``None``:
            ``patch_size``, then 2).
        qk_scale: mmdet's: scale of the attention logits (``None``: ``head_dims ** -0.5``).
        patch_norm: mmdet's: whether the patch embedding and the patch mergings have norms.
        act_cfg: mmdet's: activation of the FFNs.
        pretrained: Deprecated (mmdet's): a checkpoint, meaning ``init_cfg=dict(
            type='Pretrained', checkpoint=pretrained)``.
        convert_weights: mmdet's: the checkpoint of a ``Pretrained`` ``init_cfg`` has the
            original repository's keys (:func:`~zoo.converters.official_swin.
            convert_official_swin`).
        peer: ``'mmdet'``, ``'mmpretrain'`` or ``None`` (the default scope's), see above.

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
        **dict.fromkeys(['l', 'large'], dict(
            embed_dims=192, depths=(2, 2, 18, 2), num_heads=(6, 12, 24, 48))),
    }  # yapf: disable
    arch_keys = ('embed_dims', 'depths', 'num_heads')
    default_arch = 'tiny'  # without arch and without mmdet's embed_dims, depths, num_heads
    frozen_stages_inclusive = True
    num_extra_tokens = 0
    default_init_cfg: List[dict] = [
        dict(type='TruncNormal', layer='Linear', std=0.02, bias=0.0),
        dict(type='Constant', layer=['LayerNorm', '_BatchNorm'], val=1.0, bias=0.0),
    ]

    def __init__(self,
                 arch: Optional[Union[str, dict]] = None,
                 img_size: Union[int, Sequence[int]] = 224,
                 patch_size: int = 4,
                 in_channels: int = 3,
                 window_size: int = 7,
                 drop_rate: float = 0.0,
                 drop_path_rate: float = 0.1,
                 out_indices: Optional[Union[int, Sequence[int]]] = None,
                 out_after_downsample: bool = False,
                 use_abs_pos_embed: bool = False,
                 interpolate_mode: str = 'bicubic',
                 with_cp: bool = False,
                 frozen_stages: int = -1,
                 norm_eval: bool = False,
                 pad_small_map: Optional[bool] = None,
                 norm_cfg: Optional[dict] = dict(type='LN'),
                 stage_cfgs: Union[dict, Sequence[dict]] = dict(),
                 patch_cfg: dict = dict(),
                 init_cfg: Optional[Union[dict, List[dict]]] = default_init_cfg,
                 mlp_ratio: float = 4.0,
                 qkv_bias: bool = True,
                 attn_drop_rate: float = 0.0,
                 pretrain_img_size: Optional[Union[int, Sequence[int]]] = None,
                 embed_dims: Optional[int] = None,
                 depths: Optional[Sequence[int]] = None,
                 num_heads: Optional[Sequence[int]] = None,
                 strides: Optional[Sequence[int]] = None,
                 qk_scale: Optional[float] = None,
                 patch_norm: bool = True,
                 act_cfg: dict = dict(type='GELU'),
                 pretrained: Optional[str] = None,
                 convert_weights: bool = False,
                 peer: Optional[str] = None):
        name = type(self).__name__
        self.peer = resolve_peer(name, peer)
        defaults = PEER_DEFAULTS[self.peer]
        out_indices = defaults['out_indices'] if out_indices is None else out_indices
        pad_small_map = defaults['pad_small_map'] if pad_small_map is None else pad_small_map
        init_cfg = fold_pretrained(name, pretrained, init_cfg, self.default_init_cfg)
        if self.peer == 'mmdet' and init_cfg is None:
            init_cfg = self.default_init_cfg  # mmdet's init without a checkpoint is this one
        super().__init__(out_indices, frozen_stages, norm_eval, init_cfg)
        self.frozen_stages_inclusive = defaults['frozen_stages_inclusive']
        self.convert_weights = convert_weights
        self.arch = self.parse_arch(self._arch(arch, embed_dims, depths, num_heads))
        depths, num_heads = self.arch['depths'], self.arch['num_heads']
        if len(depths) != len(num_heads):
            raise ValueError(f'{name}: arch depths {depths} and num_heads {num_heads} differ in '
                             'length')
        if pretrain_img_size is not None:
            img_size = pretrain_img_size
        strides = (patch_size, ) + (2, ) * (len(depths) - 1) if strides is None else strides
        if len(strides) != len(depths):
            raise ValueError(f'{name}: strides {tuple(strides)} must have one stride per stage '
                             f'({len(depths)}): the patch embedding\'s, then each merging\'s')
        self.in_channels = in_channels
        self.window_size = window_size
        self.out_after_downsample = out_after_downsample
        self.use_abs_pos_embed = use_abs_pos_embed
        self.interpolate_mode = interpolate_mode
        embed_dims = self.arch['embed_dims']
        # mmdet's norm_cfg is every layer's norm; mmpretrain's that of the outputs only
        layer_norm_cfg = norm_cfg if self.peer == 'mmdet' else dict(type='LN')

        self.patch_embed = PatchEmbed(
            **{
                **dict(
                    in_channels=in_channels,
                    input_size=img_size,
                    embed_dims=embed_dims,
                    conv_type='Conv2d',
                    kernel_size=patch_size,
                    stride=strides[0],
                    norm_cfg=layer_norm_cfg if patch_norm else None),
                **patch_cfg
            })
        self.patch_resolution = self.patch_embed.out_size(img_size)
        if use_abs_pos_embed:
            num_patches = self.patch_resolution[0] * self.patch_resolution[1]
            self.absolute_pos_embed = nn.Parameter(torch.zeros(1, num_patches, embed_dims))
        self.register_load_state_dict_pre_hook(self._prepare_loaded_state)
        self.drop_after_pos = nn.Dropout(drop_rate)

        # Stochastic depth rises linearly over all the blocks of the network.
        if self.peer == 'mmdet':  # mmdet's float32 linspace: the same keep probabilities
            rates = [rate.item() for rate in torch.linspace(0, drop_path_rate, sum(depths))]
        else:
            rates = drop_path_rates(drop_path_rate, sum(depths))
        block_defaults = dict(
            ffn_ratio=mlp_ratio,
            attn_cfgs=dict(qkv_bias=qkv_bias, attn_drop=attn_drop_rate, qk_scale=qk_scale),
            ffn_cfgs=dict(act_cfg=act_cfg))
        if self.peer == 'mmdet':
            block_defaults['norm_cfg'] = norm_cfg
        self.stages = nn.ModuleList()
        channels = [embed_dims]
        for i, (depth, heads) in enumerate(zip(depths, num_heads)):
            stage_cfg = stage_cfgs[i] if isinstance(stage_cfgs, Sequence) \
                else deepcopy(stage_cfgs)
            downsample = i < len(depths) - 1
            # mmdet's strides and patch_norm reach the mergings too
            merge_norm = layer_norm_cfg if patch_norm else None
            merge_cfg = dict(stride=strides[i + 1], norm_cfg=merge_norm) if downsample else dict()
            stage = SwinBlockSequence(
                **{
                    **dict(
                        embed_dims=channels[-1],
                        depth=depth,
                        num_heads=heads,
                        window_size=window_size,
                        downsample=downsample,
                        downsample_cfg=merge_cfg,
                        drop_paths=rates[:depth],
                        with_cp=with_cp,
                        pad_small_map=pad_small_map,
                        block_cfgs=block_defaults),
                    **stage_cfg
                })
            self.stages.append(stage)
            rates = rates[depth:]
            channels.append(stage.out_channels)
        self.num_features = channels[1:] if out_after_downsample else channels[:-1]
        # The backbone's stages are mmpretrain's: stage i's output is taken before the merging
        # it holds (after it, with out_after_downsample); see forward.
        self._set_stages({
            f'stage{i + 1}': stage
            for i, stage in enumerate(self.stages)
        },
                         self.num_features,
                         dict(patch_embed=self.patch_embed),
                         register=False)
        # One norm per returned stage, named after its index as in mmpretrain and mmdet.
        for i in self.out_indices:
            self.add_module(f'norm{i}', build_channel_last_norm(norm_cfg, self.num_features[i]))
        self._freeze_stages()

    def _arch(self, arch: Optional[Union[str, dict]], *mmdet_arch) -> Union[str, dict]:
        """``arch``, or the row that mmdet's ``embed_dims``, ``depths`` and ``num_heads``
        give (mmdet's defaults for those not given); not both."""
        given = {k: v for k, v in zip(self.arch_keys, mmdet_arch) if v is not None}
        if not given:
            return self.default_arch if arch is None else arch
        if arch is not None:
            raise ValueError(f'{type(self).__name__}: give either arch={arch!r} or mmdet\'s '
                             f'{sorted(given)}, not both')
        return {
            **_MMDET_ARCH,
            **{
                k: tuple(v) if k != 'embed_dims' else v
                for k, v in given.items()
            }
        }

    def frozen_modules(self) -> List[nn.Module]:
        # mmdet also puts the output norms of frozen stages in eval mode; mmpretrain only
        # freezes their parameters (see _freeze_stages)
        return super().frozen_modules() + (self._frozen_norms() if self.peer == 'mmdet' else [])

    def _frozen_norms(self) -> List[nn.Module]:
        """The output norms of the frozen stages (those that exist: one per returned stage)."""
        count = self.frozen_stages + self.frozen_stages_inclusive
        return [getattr(self, f'norm{i}') for i in range(count) if hasattr(self, f'norm{i}')]

    def _freeze_stages(self) -> None:
        super()._freeze_stages()
        for norm in self._frozen_norms():
            for param in norm.parameters():
                param.requires_grad = False
        if self.peer == 'mmdet' and self.frozen_stages >= 0:
            # mmdet's stem includes the position embedding and the dropout after it
            self.drop_after_pos.eval()
            if self.use_abs_pos_embed:
                self.absolute_pos_embed.requires_grad = False

    def init_weights(self) -> None:
        if self.peer == 'mmdet' and loads_checkpoint(self.init_cfg):
            self._load_as_mmdet()
            return
        super().init_weights()
        if self.use_abs_pos_embed and not loads_checkpoint(self.init_cfg):
            nn.init.trunc_normal_(self.absolute_pos_embed, std=0.02)

    def _load_as_mmdet(self) -> None:
        """mmdet's ``Pretrained`` loading: the checkpoint's ``backbone.`` keys (after the
        original repository's keys are converted, with ``convert_weights``), loaded where
        names and shapes match, with zoo's report of the rest. A checkpoint without
        ``backbone.`` keys loads whole (mmdet would load nothing from it)."""
        from mmengine.runner.checkpoint import CheckpointLoader

        from zoo.converters.official_swin import convert_official_swin
        from ..utils.pretrained import extract_state_dict, load_pretrained
        init_cfg = self.init_cfg[-1] if isinstance(self.init_cfg, list) else self.init_cfg
        checkpoint = init_cfg['checkpoint']
        state = extract_state_dict(
            CheckpointLoader.load_checkpoint(checkpoint, map_location='cpu'), checkpoint)
        if self.convert_weights:
            state = convert_official_swin(state)
        prefix = init_cfg.get('prefix') or ('backbone.' if any(
            key.startswith('backbone.') for key in state) else None)
        load_pretrained(self, state, prefix=prefix)
        if self.use_abs_pos_embed and 'absolute_pos_embed' not in {
                key[len(prefix or ''):]
                for key in state
        }:
            nn.init.trunc_normal_(self.absolute_pos_embed, std=0.02)

    def _prepare_loaded_state(self, module: nn.Module, state_dict: dict, prefix: str,
                              *args) -> None:
        """Load-time hook, as mmpretrain's: an old checkpoint's final ``norm`` is the last
        stage's ``norm<i>``, its saved ``attn_mask`` buffers are dropped, and an absolute
        position embedding made for another grid is resized."""
        last = len(self.stages) - 1
        for key in [k for k in state_dict if k.startswith(prefix)]:
            name = key[len(prefix):]
            if name.startswith('norm.') and self.peer == 'mmpretrain':
                state_dict[f'{prefix}norm{last}.{name[5:]}'] = state_dict.pop(key)
            elif 'attn_mask' in name:
                del state_dict[key]
        key = prefix + 'absolute_pos_embed'
        if self.use_abs_pos_embed and key in state_dict and \
                state_dict[key].shape != self.absolute_pos_embed.shape:
            side = int(round(state_dict[key].shape[1]**0.5))
            MMLogger.get_current_instance().info(
                f'Resize {key} from a {side}x{side} to a {self.patch_resolution[0]}x'
                f'{self.patch_resolution[1]} patch grid')
            state_dict[key] = resize_pos_embed(state_dict[key], (side, side), self.patch_resolution,
                                               self.interpolate_mode, 0)

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        x = self.patch_embed(x)  # B, H, W, C
        if self.use_abs_pos_embed:
            batch, height, width, channels = x.shape
            pos = resize_pos_embed(self.absolute_pos_embed, self.patch_resolution, (height, width),
                                   self.interpolate_mode, 0)
            x = x + pos.view(1, height, width, channels)
        x = self.drop_after_pos(x)
        outs = []
        for i, stage in enumerate(self.stages):
            x = stage(x, do_downsample=self.out_after_downsample)
            if i in self.out_indices:
                out = getattr(self, f'norm{i}')(x)
                outs.append(out.permute(0, 3, 1, 2).contiguous())
            if i == self.out_indices[-1]:
                break  # later stages would be computed for nothing
            if stage.downsample is not None and not self.out_after_downsample:
                x = stage.downsample(x)
        return tuple(outs)


__all__ = ['SwinTransformer', 'SwinBlockSequence', 'SwinBlock']
