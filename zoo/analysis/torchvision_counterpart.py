"""The zoo backbones that torchvision also has, with the same architecture: backbone config ->
``torchvision.models`` name. The benchmark times a config's model beside it."""
import inspect
from typing import Optional

from zoo.registry import MODELS


def _arch(backbone: dict, kind: str) -> Optional[str]:
    """The backbone's ``arch`` row name in its short form (``'base'`` -> ``'b'``), the class's
    default where the config leaves it out; None for a custom (dict) row."""
    arch = backbone.get('arch')
    if arch is None:
        cls = MODELS.get(kind)  # Swin's signature default is None: mmdet's arguments may set it
        arch = getattr(cls, 'default_arch', None) or \
            inspect.signature(cls).parameters['arch'].default
    return arch.lower()[0] if isinstance(arch, str) else None


def torchvision_counterpart(model_cfg: dict) -> Optional[str]:
    """Name of torchvision's classifier with the same architecture as ``model_cfg``, or None.

    Example:
        >>> torchvision_counterpart(dict(backbone=dict(type='ResNeXt', depth=50, groups=32,
        ...                                            width_per_group=4)))
        'resnext50_32x4d'
    """
    backbone = model_cfg['backbone']
    kind = backbone['type'].split('.')[-1]  # 'zoo.ResNet' -> 'ResNet'
    if backbone.get('plugins'):
        return None  # SE-ResNet and the like: torchvision has no such model
    if kind == 'ResNet':
        depth, width = backbone['depth'], backbone.get('width_per_group', 64)
        if width == 64:
            return f'resnet{depth}'
        # Wide ResNet-50-2 / 101-2: the bottlenecks twice as wide (torchvision: 64 * 2 = 128)
        return f'wide_resnet{depth}_2' if width == 128 and depth in (50, 101) else None
    if kind == 'ResNeXt':
        groups, width = backbone.get('groups', 32), backbone.get('width_per_group', 4)
        return f'resnext{backbone["depth"]}_{groups}x{width}d'
    if kind == 'VGG':
        with_bn = backbone.get('norm_cfg') is not None
        return f'vgg{backbone["depth"]}' + ('_bn' if with_bn else '')
    if kind == 'AlexNet':
        return 'alexnet'
    if kind == 'GoogLeNet':
        return 'googlenet'
    plain = backbone.get('widen_factor', 1.0) == 1.0 and backbone.get('stem_stride', 2) == 2
    if kind == 'MobileNetV2' and plain:
        return 'mobilenet_v2'
    if kind == 'MobileNetV3' and plain:
        return f'mobilenet_v3_{backbone.get("arch", "small")}'
    if kind == 'VisionTransformer' and backbone.get('patch_size', 16) == 16 \
            and backbone.get('img_size', 224) == 224 and _arch(backbone, kind) in ('b', 'l'):
        return f'vit_{_arch(backbone, kind)}_16'
    if kind == 'SwinTransformer' and backbone.get('patch_size', 4) == 4 \
            and backbone.get('window_size', 7) == 7 and _arch(backbone, kind) in ('t', 's', 'b'):
        return f'swin_{_arch(backbone, kind)}'
    return None


def torchvision_regularisation(model_cfg: dict) -> dict:
    """Arguments for torchvision's counterpart that give it the zoo config's dropout, so that a
    training step of each does the same work (mmpretrain's ViT-B
    recipe has dropout 0.1 where torchvision's ``vit_b_16()`` has none).

    Example:
        >>> torchvision_regularisation(dict(backbone=dict(type='VisionTransformer', arch='b',
        ...                                               drop_rate=0.1)))
        {'dropout': 0.1, 'attention_dropout': 0.0}
    """
    backbone = model_cfg['backbone']
    kind = backbone['type'].split('.')[-1]
    if kind not in ('VisionTransformer', 'SwinTransformer'):
        return {}
    # not the stochastic depth: torchvision's swin_t/s/b fix it (0.2/0.3/0.5, mmpretrain's
    # recipes' too) and refuse another, its ViT has none, and it changes no step's work
    return dict(
        dropout=backbone.get('drop_rate', 0.0),
        attention_dropout=backbone.get('attn_drop_rate', 0.0))
