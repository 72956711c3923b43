"""Which peer's conventions a component that serves both mmdet and mmpretrain follows.

zoo's ``ResNet`` (and its family) and ``CrossEntropyLoss`` share their names with classes of
both mmdet and mmpretrain, whose defaults and layouts disagree: mmdet's ResNet keeps BatchNorm
in eval mode and returns all four stages (``norm_eval=True``, ``out_indices=(0, 1, 2, 3)``),
mmpretrain's trains BatchNorm and returns the last stage only; their deep stems are named
differently; mmdet's sigmoid ``CrossEntropyLoss`` reads ``class_weight`` as the weight of the
positive term, mmpretrain's as the weight of each class's whole term.

Such a component takes ``peer='mmdet'`` or ``peer='mmpretrain'``. Left at ``None`` it follows
the scope that builds it: mmdet's when the current default scope is ``'mmdet'`` (every mmdet
config sets ``default_scope = 'mmdet'``, and mmdet's Runner and ``register_all_modules`` make it
current), mmpretrain's otherwise (zoo's own scope keeps mmpretrain's defaults). An mmdet config
that names ``type='zoo.ResNet'`` thus gets mmdet's defaults, an mmpretrain or zoo config
mmpretrain's, and an explicit argument always wins over either.
"""
from typing import Optional

from mmengine.registry import DefaultScope

PEERS = ('mmdet', 'mmpretrain')


def resolve_peer(owner: str, peer: Optional[str]) -> str:
    """``peer`` checked, or the peer of the current default scope when it is ``None``.

    Args:
        owner: The component's name, for the error message.
        peer: ``'mmdet'``, ``'mmpretrain'`` or ``None``.

    Example:
        >>> from mmengine.registry import DefaultScope
        >>> with DefaultScope.overwrite_default_scope('mmdet'):
        ...     resolve_peer('ResNet', None)
        'mmdet'
        >>> resolve_peer('ResNet', 'mmpretrain')
        'mmpretrain'
    """
    if peer is None:
        scope = DefaultScope.get_current_instance()
        return 'mmdet' if scope is not None and scope.scope_name == 'mmdet' else 'mmpretrain'
    if peer not in PEERS:
        raise ValueError(f'{owner}: peer must be one of {PEERS} or None (the default scope\'s), '
                         f'got {peer!r}')
    return peer


__all__ = ['PEERS', 'resolve_peer']
