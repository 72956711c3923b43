"""The peers' models of a zoo config's architecture, built from the installed packages, and
their weights loaded into the zoo model.

- mmpretrain: its config of the same name (the zoo's configs are named as mmpretrain's, and
  mmpretrain ships its configs in its wheel), built by ``mmpretrain.get_model`` with random
  weights; its published figures are those of its installed metafiles
  (:func:`zoo.utils.metafile.load_mmpretrain_metafiles`).
- timm: the model of :data:`TIMM_MODELS`, built by ``timm.create_model(pretrained=False)``.
- torchvision: the weights' metadata (``get_model_weights(name)[weights].meta``), nothing
  downloaded; its model with random weights is :mod:`zoo.analysis.torchvision_counterpart`'s.

Weights cross-load into the zoo model as they are where the keys and shapes are the zoo's,
through :mod:`zoo.converters.torchvision_to_zoo` where they are torchvision's counterpart's
(timm's ResNets), or through :mod:`zoo.converters.timm_to_zoo` where the peer is a timm model
it converts (timm's MobileNets, SE-ResNet, VGGs, Swins, ViTs); otherwise :func:`zoo_state_dict`
says why not.

Example:
    >>> mmpretrain_config('resnet50_8xb32_in1k').name
    'resnet50_8xb32_in1k.py'
    >>> TIMM_MODELS['swin-tiny_16xb64_in1k']
    'swin_tiny_patch4_window7_224'
"""
import importlib.util
from pathlib import Path
from typing import Dict, Optional, Union

import torch
import torchvision
from torch import nn

StateDict = Dict[str, torch.Tensor]

# zoo metafile model -> timm's model of the same architecture (the same parameter count, tested)
TIMM_MODELS: Dict[str, str] = {
    'resnet50_8xb32_in1k': 'resnet50',
    'resnext50-32x4d_8xb32_in1k': 'resnext50_32x4d',
    'resnext101-32x8d_8xb32_in1k': 'resnext101_32x8d',
    'seresnet50_8xb32_in1k': 'seresnet50',
    'mobilenet-v2_8xb32_in1k': 'mobilenetv2_100',
    'mobilenet-v3-small_8xb128_in1k': 'mobilenetv3_small_100',
    'mobilenet-v3-large_8xb128_in1k': 'mobilenetv3_large_100',
    'vgg16_8xb32_in1k': 'vgg16',
    'vgg16bn_8xb32_in1k': 'vgg16_bn',
    'swin-tiny_16xb64_in1k': 'swin_tiny_patch4_window7_224',
    'swin-small_16xb64_in1k': 'swin_small_patch4_window7_224',
    'swin-base_16xb64_in1k': 'swin_base_patch4_window7_224',
    'vit-base-p16_64xb64_in1k': 'vit_base_patch16_224',
}


def mmpretrain_config_root() -> Path:
    """``mmpretrain/.mim/configs`` of the installed mmpretrain (located, not imported)."""
    spec = importlib.util.find_spec('mmpretrain')
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError('mmpretrain is not installed: the report builds its models '
                                  '(pip install mmpretrain==1.2.0)')
    return Path(spec.origin).parent / '.mim' / 'configs'


def mmpretrain_config(name: str) -> Optional[Path]:
    """mmpretrain's config named ``name`` (``<family>/<name>.py``), or None where it has none."""
    found = sorted(mmpretrain_config_root().glob(f'*/{name}.py'))
    return found[0] if found else None


def build_mmpretrain(config: Path) -> nn.Module:
    """mmpretrain's model of ``config``, random weights."""
    import mmpretrain
    return mmpretrain.get_model(str(config), pretrained=False)


def build_timm(name: str, num_classes: int, size: int) -> nn.Module:
    """timm's model ``name``, random weights; for ``size`` px where timm fixes the input size
    (ViT, Swin)."""
    import timm
    kwargs = {'img_size': size} if timm.get_pretrained_cfg(name).fixed_input_size else {}
    return timm.create_model(name, pretrained=False, num_classes=num_classes, **kwargs)


def torchvision_meta(name: str, weights: str) -> dict:
    """``params``, ``flops`` (G), ``top1`` and ``top5`` of torchvision's ``name`` weights
    ``weights`` (an enum member name, e.g. ``IMAGENET1K_V1``) from their metadata."""
    try:
        meta = torchvision.models.get_model_weights(name)[weights].meta
    except KeyError as error:
        raise KeyError(f'torchvision {name!r} has no weights {weights!r}') from error
    metrics = meta['_metrics']['ImageNet-1K']
    return dict(
        params=meta['num_params'], flops=meta['_ops'], top1=metrics['acc@1'], top5=metrics['acc@5'])


def same_keys(state: StateDict, reference: StateDict) -> int:
    """How many keys of ``state`` ``reference`` has with the same shape."""
    return sum(key in reference and reference[key].shape == value.shape
               for key, value in state.items())


def zoo_state_dict(peer: nn.Module,
                   zoo_model: nn.Module,
                   torchvision_model: Optional[nn.Module] = None,
                   torchvision_name: Optional[str] = None,
                   timm_name: Optional[str] = None) -> Union[StateDict, str]:
    """The peer's weights with the zoo model's keys, or why there are none: ``'keys differ: N of
    M'`` (N of the peer's M keys are the zoo's with the same shape) or ``'no converter'``.

    The peer's state dict is taken as it is where its keys and shapes are the zoo model's,
    converted by :mod:`zoo.converters.torchvision_to_zoo` where they are those of
    ``torchvision_model`` (torchvision's ``torchvision_name``) and that converter has a rule, and
    by :mod:`zoo.converters.timm_to_zoo` where the peer is timm's ``timm_name`` and that
    converter has a rule (which raises, naming the keys, where the weights do not fit).
    """
    from zoo.converters import timm_to_zoo, torchvision_to_zoo

    state, reference = peer.state_dict(), zoo_model.state_dict()
    matched = same_keys(state, reference)
    if matched == len(state) == len(reference):
        return state
    if torchvision_model is not None:
        tv_state = torchvision_model.state_dict()
        if same_keys(state, tv_state) == len(state) == len(tv_state):
            if torchvision_name not in torchvision_to_zoo.CONVERTERS:
                return 'no converter'
            return torchvision_to_zoo.convert(torchvision_name, state)
    if timm_name in timm_to_zoo.CONVERTERS:
        return timm_to_zoo.convert(timm_name, state)
    return f'keys differ: {matched} of {len(state)}'
