"""timm classification state dicts -> zoo ImageClassifier state dicts.

``convert(timm_name, state)`` converts the state dict of timm's model ``timm_name``
(``CONVERTERS``) into that of the zoo model of ``CONFIGS[timm_name]`` and checks it key by key
and shape by shape against that model, as :mod:`zoo.converters.torchvision_to_zoo` does for
torchvision's (whose ``rename`` and ``check_keys`` it uses): a checkpoint of another
architecture fails with the missing and unexpected keys named. The mapping is derived from the
zoo backbones' own arch tables. Beyond renaming keys:

- timm's 1x1 (MobileNetV3's ``conv_head``) and 7x7 (VGG's ``pre_logits``) convolutions after
  the features are the zoo's Linear layers, their weights flattened;
- timm's Swin merges patches at the start of the next stage, in the original Swin's channel
  order (reordered to the zoo's, :func:`~zoo.models.layers.torchvision_merge_order`), and keeps
  ``relative_position_index`` out of its state dict (the zoo's buffer is computed here);
- timm's BatchNorms have eps 1e-5 (``nn.BatchNorm2d``'s default, every model here), the zoo's
  MobileNetV3 torchvision's 1e-3: ``running_var`` is shifted by the difference, so the zoo's
  ``var + eps`` is timm's and eval-mode outputs are timm's (affine parameters untouched).

timm's ResNets and ResNeXts have torchvision's keys: :mod:`~zoo.converters.torchvision_to_zoo`
converts them. timm's VGG equals the zoo's (torchvision's) only up to 224 px: on larger inputs
timm slides its 7x7 ``pre_logits`` convolution over the map and averages, the zoo pools the map
to 7x7 first.
"""
import re
from itertools import groupby
from typing import Callable, Dict, List, Tuple

import torch
from mmengine.config import Config
from torch import nn

from zoo.models.backbones import VGG, MobileNetV2, MobileNetV3
from zoo.models.builder import build_model_from_cfg
from zoo.models.layers import torchvision_merge_order
from zoo.models.layers.window_attention import _relative_position_index
from zoo.utils import register_all_modules
from . import torchvision_to_zoo
from .torchvision_to_zoo import CONFIG_DIR, StateDict, check_keys, rename

VGG_NAMES = [f'vgg{depth}{bn}' for depth in VGG.arch_settings for bn in ('', '_bn')]
SWIN_NAMES = {f'swin_{arch}_patch4_window7_224': arch for arch in ('tiny', 'small', 'base')}
VIT_NAMES = {f'vit_{arch}_patch16_224': arch for arch in ('small', 'base', 'large')}
# timm model name -> the zoo config whose model holds the converted weights
CONFIGS = {
    'mobilenetv2_100': CONFIG_DIR / 'mobilenet-v2.py',
    'mobilenetv3_small_100': CONFIG_DIR / 'mobilenet-v3-small.py',
    'mobilenetv3_large_100': CONFIG_DIR / 'mobilenet-v3-large.py',
    'seresnet50': CONFIG_DIR / 'seresnet50.py',
    **{
        name: torchvision_to_zoo.CONFIGS[name]
        for name in VGG_NAMES
    },  # timm's VGG names are torchvision's
    **{
        name: CONFIG_DIR / f'swin-{arch}.py'
        for name, arch in SWIN_NAMES.items()
    },
    **{
        name: CONFIG_DIR / f'vit-{arch}-p16.py'
        for name, arch in VIT_NAMES.items()
    },
}
CONVERTERS: Dict[str, Callable[[StateDict], StateDict]] = {}
# the eps of timm's BatchNorms in every model of CONVERTERS (none is a tf_ port)
TIMM_BN_EPS = 1e-5

# the layers of timm's efficientnet-style blocks -> the zoo's: a depthwise-separable block
# (no expansion) and an inverted residual, with their SE layers where they have one
MOBILENET_V2_DS = dict(
    conv_dw='conv.0.conv', bn1='conv.0.bn', conv_pw='conv.1.conv', bn2='conv.1.bn')
MOBILENET_V2_IR = dict(
    conv_pw='conv.0.conv',
    bn1='conv.0.bn',
    conv_dw='conv.1.conv',
    bn2='conv.1.bn',
    conv_pwl='conv.2.conv',
    bn3='conv.2.bn')
SE = {'se.conv_reduce': 'se.conv1.conv', 'se.conv_expand': 'se.conv2.conv'}
MOBILENET_V3_DS = dict(
    conv_dw='depthwise_conv.conv',
    bn1='depthwise_conv.bn',
    **SE,
    conv_pw='linear_conv.conv',
    bn2='linear_conv.bn')
MOBILENET_V3_IR = dict(
    conv_pw='expand_conv.conv',
    bn1='expand_conv.bn',
    conv_dw='depthwise_conv.conv',
    bn2='depthwise_conv.bn',
    **SE,
    conv_pwl='linear_conv.conv',
    bn3='linear_conv.bn')


def converter(*names: str) -> Callable:
    """Register a state-dict converter for the timm models ``names``."""
    return torchvision_to_zoo.converter(*names, registry=CONVERTERS)


def layer_rules(source: str, target: str, layers: Dict[str, str]) -> List[Tuple[str, str]]:
    """Rules renaming the layers ``layers`` (timm's name -> the zoo's) of timm's module
    ``source`` into the zoo's module ``target``."""
    return [(rf'^{re.escape(source)}\.{re.escape(name)}\.', f'{target}.{zoo_name}.')
            for name, zoo_name in layers.items()]


def conv_as_linear(state: StateDict, key: str) -> StateDict:
    """``state`` with the convolution weight ``key`` flattened into a Linear weight (a
    convolution covering its whole input is a Linear layer on the flattened input)."""
    if key in state:
        state = dict(state, **{key: state[key].flatten(1)})
    return state


@converter('mobilenetv2_100')
def convert_mobilenet_v2(name: str, state: StateDict) -> StateDict:
    """``conv_stem``/``bn1`` -> ``conv1``; ``blocks.<i>.<j>`` -> ``layer<i + 1>.<j>`` (timm's
    stages are :attr:`MobileNetV2.stage_settings`' rows; the expansion-1 stage is a
    depthwise-separable block); ``conv_head``/``bn2`` -> ``conv2``; ``classifier`` ->
    ``head.fc``."""
    rules = [(r'^conv_stem\.', 'backbone.conv1.conv.'), (r'^bn1\.', 'backbone.conv1.bn.'),
             (r'^conv_head\.', 'backbone.conv2.conv.'), (r'^bn2\.', 'backbone.conv2.bn.'),
             (r'^classifier\.', 'head.fc.')]
    for i, (expand_ratio, _, num_blocks, _) in enumerate(MobileNetV2.stage_settings):
        layers = MOBILENET_V2_DS if expand_ratio == 1 else MOBILENET_V2_IR
        for j in range(num_blocks):
            rules += layer_rules(f'blocks.{i}.{j}', f'backbone.layer{i + 1}.{j}', layers)
    return rename(state, rules)


@converter('mobilenetv3_small_100', 'mobilenetv3_large_100')
def convert_mobilenet_v3(name: str, state: StateDict) -> StateDict:
    """``conv_stem``/``bn1`` -> ``layer0``; ``blocks.<i>.<j>`` -> the zoo's flat ``layer<n>``
    (timm's stage ``i`` is the i-th run of :attr:`MobileNetV3.arch_settings` rows of one
    output width; a row without expansion is a depthwise-separable block), the SE's
    ``conv_reduce``/``conv_expand`` -> ``se.conv1``/``se.conv2``; the last stage's 1x1
    convolution -> the last ``layer``; ``conv_head`` (a 1x1 convolution with bias after the
    pooling) and ``classifier`` -> ``head.layers.0.fc``/``head.layers.1.fc``."""
    rows = MobileNetV3.arch_settings[name.split('_')[1]]
    rules = [(r'^conv_stem\.', 'backbone.layer0.conv.'), (r'^bn1\.', 'backbone.layer0.bn.')]
    stages = [list(stage) for _, stage in groupby(rows, key=lambda row: row[2])]
    in_channels, layer = MobileNetV3.stem_channels, 0
    for i, stage in enumerate(stages):
        for j, (_, mid_channels, out_channels, _, _, _) in enumerate(stage):
            layer += 1
            layers = MOBILENET_V3_DS if mid_channels == in_channels else MOBILENET_V3_IR
            rules += layer_rules(f'blocks.{i}.{j}', f'backbone.layer{layer}', layers)
            in_channels = out_channels
    rules += layer_rules(f'blocks.{len(stages)}.0', f'backbone.layer{layer + 1}',
                         dict(conv='conv', bn1='bn'))
    rules += [(r'^conv_head\.', 'head.layers.0.fc.'), (r'^classifier\.', 'head.layers.1.fc.')]
    return conv_as_linear(rename(state, rules), 'head.layers.0.fc.weight')


@converter('seresnet50')
def convert_seresnet(name: str, state: StateDict) -> StateDict:
    """torchvision's ResNet keys (:func:`~.torchvision_to_zoo.convert_resnet`) with an SE
    layer in every bottleneck: ``se.fc1``/``se.fc2`` -> ``se_layer.conv1``/``se_layer.conv2``
    (after the last norm, before the residual sum, in both)."""
    state = rename(state, [(r'\.se\.fc(\d)\.', r'.se_layer.conv\1.conv.')])
    return torchvision_to_zoo.convert_resnet(name, state)


@converter(*VGG_NAMES)
def convert_vgg(name: str, state: StateDict) -> StateDict:
    """timm's VGG is torchvision's with the classifier's first two Linear layers written as
    convolutions (``pre_logits.fc1`` 7x7, ``fc2`` 1x1) and the last as ``head.fc``: they become
    torchvision's ``classifier.0/3/6``, then :func:`~.torchvision_to_zoo.convert_vgg`'s."""
    state = rename(state, [(r'^pre_logits\.fc1\.', 'classifier.0.'),
                           (r'^pre_logits\.fc2\.', 'classifier.3.'),
                           (r'^head\.fc\.', 'classifier.6.')])
    for key in ('classifier.0.weight', 'classifier.3.weight'):
        state = conv_as_linear(state, key)
    return torchvision_to_zoo.convert_vgg(name, state)


@converter(*SWIN_NAMES)
def convert_swin(name: str, state: StateDict) -> StateDict:
    """``patch_embed.proj`` -> ``patch_embed.projection``; ``layers.<i>.blocks`` ->
    ``stages.<i>.blocks`` with ``attn.*`` -> ``attn.w_msa.*`` (``relative_position_index``
    computed from the window size where timm leaves it out of its state dict) and ``mlp.fc1``/
    ``fc2`` -> ``ffn.layers.0.0``/``ffn.layers.1``; the patch merging ``layers.<i>.downsample``
    at the start of stage ``i`` -> ``stages.<i - 1>.downsample`` at the end of the previous
    one, its ``4C`` channels reordered to the zoo's; ``norm`` -> ``norm3``; ``head.fc`` as it
    is. Older timm versions' ``attn_mask`` buffers are dropped (the zoo computes its masks)."""
    state = {key: value for key, value in state.items() if not key.endswith('.attn_mask')}
    for key in [k for k in state if re.match(r'layers\.\d+\.downsample\.(norm|reduction)\.', k)]:
        order = torchvision_merge_order(state[key].shape[-1] // 4).to(state[key].device)
        state[key] = state[key][..., order]
    state = rename(state, [(r'\.attn\.', '.attn.w_msa.'), (r'\.mlp\.fc1\.', '.ffn.layers.0.0.'),
                           (r'\.mlp\.fc2\.', '.ffn.layers.1.')])
    state = rename(state, [
        (r'^patch_embed\.proj\.', 'backbone.patch_embed.projection.'),
        (r'^patch_embed\.norm\.', 'backbone.patch_embed.norm.'),
        (r'^layers\.(\d+)\.blocks\.', r'backbone.stages.\1.blocks.'),
        (r'^layers\.(\d+)\.downsample\.', lambda m: f'backbone.stages.{int(m[1]) - 1}.downsample.'),
        (r'^norm\.', 'backbone.norm3.'),
        (r'^head\.fc\.', 'head.fc.'),
    ])
    for key in [k for k in state if k.endswith('.attn.w_msa.relative_position_bias_table')]:
        index_key = key.replace('relative_position_bias_table', 'relative_position_index')
        window_size = (round(state[key].shape[0]**0.5) + 1) // 2  # (2w - 1)^2 offsets
        index = state.get(index_key, _relative_position_index(window_size))
        state[index_key] = index.reshape(window_size**2, window_size**2)
    return state


@converter(*VIT_NAMES)
def convert_vit(name: str, state: StateDict) -> StateDict:
    """``patch_embed.proj`` -> ``patch_embed.projection``; ``blocks.<i>`` -> ``layers.<i>`` with
    ``norm1``/``norm2`` -> ``ln1``/``ln2``, ``attn.qkv``/``attn.proj`` as they are (q, k, v in
    the same order) and ``mlp.fc1``/``fc2`` -> ``ffn.layers.0.0``/``ffn.layers.1``; ``norm`` ->
    ``ln1``; ``head`` -> ``head.layers.head`` (timm's and the zoo's single Linear head)."""
    state = rename(state, [(r'\.norm(\d)\.', r'.ln\1.'), (r'\.mlp\.fc1\.', '.ffn.layers.0.0.'),
                           (r'\.mlp\.fc2\.', '.ffn.layers.1.')])
    return rename(state, [
        (r'^(cls_token|pos_embed)$', r'backbone.\1'),
        (r'^patch_embed\.proj\.', 'backbone.patch_embed.projection.'),
        (r'^blocks\.(\d+)\.', r'backbone.layers.\1.'),
        (r'^norm\.', 'backbone.ln1.'),
        (r'^head\.', 'head.layers.head.'),
    ])


def match_norm_eps(state: StateDict, model: nn.Module, eps: float) -> StateDict:
    """``state`` with the running variance of every BatchNorm of ``model`` whose eps is not
    ``eps`` shifted by the difference: ``model`` then normalises as BatchNorms with ``eps``
    do in eval mode."""
    state = dict(state)
    for name, module in model.named_modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm) and module.eps != eps and \
                module.track_running_stats:
            key = f'{name}.running_var'
            state[key] = state[key] + (eps - module.eps)
    return state


def convert(timm_name: str, state: StateDict) -> StateDict:
    """Convert the state dict of timm's ``timm_name`` into the state dict of the zoo model of
    ``CONFIGS[timm_name]``, checked key by key and shape by shape."""
    if timm_name not in CONVERTERS:
        raise KeyError(f'no converter for timm {timm_name!r}; known: {sorted(CONVERTERS)} '
                       '(timm\'s ResNets and ResNeXts: zoo.converters.torchvision_to_zoo)')
    converted = CONVERTERS[timm_name](state)
    register_all_modules()
    with torch.device('meta'):
        model = build_model_from_cfg(Config.fromfile(CONFIGS[timm_name]))
    check_keys(converted, model.state_dict(), timm_name, source='timm')
    return match_norm_eps(converted, model, TIMM_BN_EPS)
