"""The original Swin Transformer repository's state dicts -> zoo's Swin keys.

The checkpoints of `microsoft/Swin-Transformer <https://github.com/microsoft/Swin-Transformer>`_
(``swin_tiny_patch4_window7_224.pth`` ...) are what mmdet's Swin configs load with
``convert_weights=True``. :func:`convert_official_swin` does what mmdet's ``swin_converter``
does, into the same keys (zoo's Swin has mmdet's and mmpretrain's layout):

- ``layers.<i>`` -> ``stages.<i>``, with ``attn.`` -> ``attn.w_msa.``, ``mlp.fc1`` ->
  ``ffn.layers.0.0`` and ``mlp.fc2`` -> ``ffn.layers.1``;
- the patch merging's ``4C`` channels reordered from the original's concatenation to mmcv's
  unfold order (:func:`~zoo.models.layers.torchvision_merge_order`; torchvision's order is the
  original's);
- ``patch_embed.proj`` -> ``patch_embed.projection``; the classifier ``head.*`` dropped;
- every key prefixed ``backbone.``.
"""
from collections import OrderedDict
from typing import Dict

from torch import Tensor

from zoo.models.layers import torchvision_merge_order


def convert_official_swin(state: Dict[str, Tensor]) -> Dict[str, Tensor]:
    """An original-repository Swin state dict with zoo's (and mmdet's) keys, under
    ``backbone.``.

    Example:
        >>> import torch
        >>> state = {'layers.0.blocks.0.mlp.fc1.weight': torch.zeros(384, 96),
        ...          'patch_embed.proj.weight': torch.zeros(96, 3, 4, 4),
        ...          'head.weight': torch.zeros(1000, 768)}
        >>> list(convert_official_swin(state))
        ['backbone.stages.0.blocks.0.ffn.layers.0.0.weight', \
'backbone.patch_embed.projection.weight']
    """
    converted = OrderedDict()
    for key, value in state.items():
        if key.startswith('head'):
            continue
        if key.startswith('layers'):
            if 'attn.' in key:
                key = key.replace('attn.', 'attn.w_msa.')
            elif 'mlp.fc1.' in key:
                key = key.replace('mlp.fc1.', 'ffn.layers.0.0.')
            elif 'mlp.fc2.' in key:
                key = key.replace('mlp.fc2.', 'ffn.layers.1.')
            elif 'mlp.' in key:
                key = key.replace('mlp.', 'ffn.')
            elif 'downsample.reduction.' in key or 'downsample.norm.' in key:
                order = torchvision_merge_order(value.shape[-1] // 4).to(value.device)
                value = value[..., order]
            key = key.replace('layers', 'stages', 1)
        elif key.startswith('patch_embed') and 'proj' in key:
            key = key.replace('proj', 'projection')
        converted['backbone.' + key] = value
    return converted


__all__ = ['convert_official_swin']
