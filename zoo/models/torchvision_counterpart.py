from typing import Optional

# The zoo backbones that torchvision also has, with the same architecture: backbone config ->
# torchvision.models name. Used by the benchmark and by the equivalence tests.


def torchvision_counterpart(model_cfg: dict) -> Optional[str]:
    """Name of torchvision's classifier with the same architecture as ``model_cfg``, or None.

    Example:
        >>> torchvision_counterpart(dict(backbone=dict(type='ResNeXt', depth=50, groups=32,
        ...                                            width_per_group=4)))
        'resnext50_32x4d'
    """
    backbone = model_cfg['backbone']
    kind = backbone['type'].split('.')[-1]  # 'zoo.ResNet' -> 'ResNet'
    if kind == 'ResNet':
        return f'resnet{backbone["depth"]}'
    if kind == 'ResNeXt':
        groups, width = backbone.get('groups', 32), backbone.get('width_per_group', 4)
        return f'resnext{backbone["depth"]}_{groups}x{width}d'
    if kind == 'VGG':
        with_bn = backbone.get('norm_cfg') is not None
        return f'vgg{backbone["depth"]}' + ('_bn' if with_bn else '')
    if kind == 'AlexNet':
        return 'alexnet'
    return None
