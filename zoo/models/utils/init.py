"""Initialisation configs written once, for every family to share.

``init_cfg`` is MMEngine's: a dict or a list of dicts, applied by ``BaseModule.init_weights``,
which runs ``type='Pretrained'`` last (after the submodules' own initialisation). A module that
initialises something by hand after ``super().init_weights()`` must skip it when a checkpoint
is loaded (:func:`loads_checkpoint`), or it overwrites the loaded weights.
"""
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
