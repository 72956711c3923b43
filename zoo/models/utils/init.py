"""Initialisation configs written once, for every family to share.

``init_cfg`` is MMEngine's: a dict or a list of dicts, applied by ``BaseModule.init_weights``,
which runs ``type='Pretrained'`` last (after the submodules' own initialisation). A module that
initialises something by hand after ``super().init_weights()`` must skip it when a checkpoint
is loaded (:func:`loads_checkpoint`), or it overwrites the loaded weights.
"""
import warnings
from typing import List, Optional, Union

# torchvision's initialisation of convolutional networks (ResNet, VGG, MobileNet):
# Kaiming normal with fan-out for convolutions, weight 1 and bias 0 for norm layers. MMEngine's
# BaseModule deep-copies its init_cfg, so families may take this list as their default.
TORCHVISION_INIT_CFG: List[dict] = [
    dict(type='Kaiming', layer=['Conv2d']),
    dict(type='Constant', val=1, layer=['_BatchNorm', 'GroupNorm']),
]


def loads_checkpoint(init_cfg: Optional[Union[dict, List[dict]]]) -> bool:
    """Whether ``init_cfg`` (a dict or a list of dicts, as MMEngine takes it) loads a
    checkpoint, i.e. holds a ``type='Pretrained'`` entry.

    Example:
        >>> loads_checkpoint([dict(type='Constant', layer='Linear', val=0),
        ...                   dict(type='Pretrained', checkpoint='vit.pth')])
        True
        >>> loads_checkpoint(dict(type='Kaiming', layer='Conv2d'))
        False
    """
    cfgs = init_cfg if isinstance(init_cfg, list) else [init_cfg]
    return any(isinstance(cfg, dict) and cfg.get('type') == 'Pretrained' for cfg in cfgs)


def fold_pretrained(
        owner: str,
        pretrained: Optional[str],
        init_cfg: Optional[Union[dict, List[dict]]],
        default: Optional[Union[dict, List[dict]]] = None) -> Optional[Union[dict, List[dict]]]:
    """``init_cfg`` with mmdet's deprecated ``pretrained=<checkpoint>`` folded in, as mmdet's
    backbones do: ``dict(type='Pretrained', checkpoint=pretrained)``, with mmdet's warning.

    Args:
        owner: The component's name, for the messages.
        pretrained: The deprecated argument (``None``: ``init_cfg`` is returned as it is).
        init_cfg: The ``init_cfg`` argument.
        default: The component's default ``init_cfg``; ``init_cfg`` being it (the same object)
            or ``None`` counts as not given.

    Raises:
        TypeError: ``pretrained`` is not a string.
        ValueError: both ``pretrained`` and ``init_cfg`` are given.

    Example:
        >>> import warnings
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter('ignore')
        ...     fold_pretrained('ResNet', 'r50.pth', None)
        {'type': 'Pretrained', 'checkpoint': 'r50.pth'}
    """
    if pretrained is None:
        return init_cfg
    if not isinstance(pretrained, str):
        raise TypeError(f'{owner}: pretrained must be a str or None, got {pretrained!r}')
    if init_cfg is not None and init_cfg is not default:
        raise ValueError(f'{owner}: init_cfg and pretrained cannot be specified at the same time')
    warnings.warn(f'DeprecationWarning: {owner}: pretrained is deprecated, please use "init_cfg" '
                  'instead')
    return dict(type='Pretrained', checkpoint=pretrained)
