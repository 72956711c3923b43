from typing import Optional

from torch import Tensor, nn


class ChannelLastBatchNorm(nn.BatchNorm1d):
    """BatchNorm over the last dimension of tokens ``(..., C)``: statistics are shared by every
    sample and every token position (as LeViT normalises its tokens).

    It keeps :class:`torch.nn.BatchNorm1d`'s parameters and buffers, so ``norm_eval``,
    ``frozen_stages`` and BN-specific initialisation treat it as any other BatchNorm.

    Example:
        >>> import torch
        >>> norm = ChannelLastBatchNorm(8)
        >>> norm(torch.rand(2, 5, 5, 8)).shape
        torch.Size([2, 5, 5, 8])
    """

    def forward(self, x: Tensor) -> Tensor:
        return super().forward(x.reshape(-1, x.shape[-1])).reshape(x.shape)


_LAYER_NORMS = ('LN', 'LayerNorm')
_BATCH_NORMS = ('BN', 'BN1d', 'BN2d', 'BatchNorm')


def build_channel_last_norm(cfg: Optional[dict], num_features: int) -> nn.Module:
    """Build a norm layer that normalises the last (channel) dimension of tokens ``(..., C)``.

    Transformers keep channels last, where mmcv's ``build_norm_layer`` gives a BatchNorm that
    expects them second; this builder takes the same configs and returns a layer for the
    channel-last layout: ``dict(type='LN', eps=1e-6)`` (the default of the zoo's transformers)
    or ``dict(type='BN')`` (:class:`ChannelLastBatchNorm`). ``requires_grad=False`` freezes the
    affine parameters, as with mmcv.

    Args:
        cfg: Norm config; ``None`` gives :class:`torch.nn.Identity`.
        num_features: Channels ``C``.

    Example:
        >>> norm = build_channel_last_norm(dict(type='LN', eps=1e-6), 96)
        >>> type(norm).__name__, norm.eps
        ('LayerNorm', 1e-06)
        >>> norm = build_channel_last_norm(dict(type='BN', momentum=0.03), 96)
        >>> type(norm).__name__, norm.momentum
        ('ChannelLastBatchNorm', 0.03)
    """
    if cfg is None:
        return nn.Identity()
    if not isinstance(cfg, dict) or 'type' not in cfg:
        raise TypeError(f'norm config must be a dict with a "type", got {cfg!r}')
    kwargs = dict(cfg)
    layer_type = kwargs.pop('type')
    requires_grad = kwargs.pop('requires_grad', True)
    if layer_type in _LAYER_NORMS:
        layer = nn.LayerNorm(num_features, **kwargs)
    elif layer_type in _BATCH_NORMS:
        layer = ChannelLastBatchNorm(num_features, **kwargs)
    else:
        raise ValueError(f'norm type {layer_type!r} is not supported on channel-last tokens; '
                         f'use one of {_LAYER_NORMS + _BATCH_NORMS}')
    for param in layer.parameters():
        param.requires_grad = requires_grad
    return layer


__all__ = ['ChannelLastBatchNorm', 'build_channel_last_norm']
