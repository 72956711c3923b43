"""torchvision classification state dicts -> zoo ImageClassifier state dicts.

``convert(arch, state)`` renames the keys of torchvision's ``arch`` (``CONVERTERS``) into those
of the zoo model of ``CONFIGS[arch]`` and checks them key by key and shape by shape against
that model: a checkpoint of another architecture fails with the missing and unexpected keys
named. Each converter renames keys only (the zoo models are torchvision's layer for layer);
the mapping is derived from the zoo backbones' own arch tables. The command line is
``tools/model_converters/torchvision_to_zoo.py``.
"""
import re
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

import torch
from mmengine.config import Config
from torch import Tensor

from zoo.models.backbones import VGG, MobileNetV2, MobileNetV3
from zoo.models.builder import build_model_from_cfg
from zoo.models.layers import torchvision_merge_order
from zoo.utils import register_all_modules

StateDict = Dict[str, Tensor]
# The configs ship inside the package (zoo/.mim/configs), so this works from an installed zoo.
CONFIG_DIR = Path(__file__).resolve().parents[1] / '.mim' / 'configs' / '_base_' / 'models'
# torchvision model name -> the zoo config whose model holds the converted weights
CONFIGS: Dict[str, Path] = {
    'alexnet': CONFIG_DIR / 'alexnet.py',
    **{
        f'vgg{depth}{bn}': CONFIG_DIR / f'vgg{depth}{bn.strip("_")}.py'
        for depth in (11, 13, 16, 19)
        for bn in ('', '_bn')
    },
    'googlenet': CONFIG_DIR / 'googlenet.py',
    'mobilenet_v2': CONFIG_DIR / 'mobilenet-v2.py',
    'mobilenet_v3_small': CONFIG_DIR / 'mobilenet-v3-small.py',
    'mobilenet_v3_large': CONFIG_DIR / 'mobilenet-v3-large.py',
    **{
        f'resnet{depth}': CONFIG_DIR / f'resnet{depth}.py'
        for depth in (18, 34, 50, 101, 152)
    },
    'resnext50_32x4d': CONFIG_DIR / 'resnext50-32x4d.py',
    'resnext101_32x8d': CONFIG_DIR / 'resnext101-32x8d.py',
    'vit_b_16': CONFIG_DIR / 'vit-base-p16.py',
    'vit_l_16': CONFIG_DIR / 'vit-large-p16.py',
    'swin_t': CONFIG_DIR / 'swin-tiny.py',
    'swin_s': CONFIG_DIR / 'swin-small.py',
    'swin_b': CONFIG_DIR / 'swin-base.py',
}
CONVERTERS: Dict[str, Callable[[StateDict], StateDict]] = {}


def converter(*names: str, registry: Optional[Dict[str, Callable]] = None) -> Callable:
    """Register a state-dict converter for the torchvision models ``names`` (in ``registry``:
    another zoo's converters, by default :data:`CONVERTERS`)."""
    registry = CONVERTERS if registry is None else registry

    def register(func: Callable[[str, StateDict], StateDict]) -> Callable:
        for name in names:
            registry[name] = lambda state, name=name: func(name, state)
        return func

    return register


def block_names(stage_lengths: List[int]) -> List[Tuple[int, str]]:
    """``(stage index, 'layer<i>.<j>')`` of every block, in torchvision's flat order."""
    return [(i, f'layer{i + 1}.{j}') for i, length in enumerate(stage_lengths)
            for j in range(length)]


def rename(state: StateDict, rules: List[Tuple[str, str]]) -> StateDict:
    """Apply the first matching ``(pattern, replacement)`` regex to each key; a key no rule
    matches is kept (and then reported as unexpected by :func:`check_keys`)."""
    out = {}
    for key, value in state.items():
        for pattern, replacement in rules:
            new_key, count = re.subn(pattern, replacement, key)
            if count:
                key = new_key
                break
        out[key] = value
    return out


# torchvision's AlexNet and VGG classifiers: the Linear layers sit at these indices
CLASSIFIER_LINEARS = {'alexnet': (1, 4, 6), 'vgg': (0, 3, 6)}


def classifier_rules(linear_indices: Tuple[int, ...]) -> List[Tuple[str, str]]:
    """torchvision's ``classifier.<i>`` Linear layers, in order -> ``StackedLinearClsHead``'s
    ``head.layers.<k>.fc`` (one ``LinearBlock`` per Linear, as mmpretrain names them)."""
    return [(rf'^classifier\.{i}\.', f'head.layers.{k}.fc.') for k, i in enumerate(linear_indices)]


@converter('alexnet')
def convert_alexnet(name: str, state: StateDict) -> StateDict:
    """``features.<i>`` are the zoo's (and mmpretrain's) ``features.<i>``: the same flat list of
    layers; ``classifier`` -> ``StackedLinearClsHead``'s ``head.layers``."""
    return rename(state, [(r'^features\.', 'backbone.features.')] +
                  classifier_rules(CLASSIFIER_LINEARS['alexnet']))


@converter(*(f'vgg{depth}{bn}' for depth in VGG.arch_settings for bn in ('', '_bn')))
def convert_vgg(name: str, state: StateDict) -> StateDict:
    """``features.<i>``: per convolution conv, [BatchNorm,] ReLU, per stage a final max pool, in
    :attr:`VGG.arch_settings` order -> the zoo's (mmpretrain's) flat ``features.<j>``: one
    ``ConvModule`` (``conv``, ``bn``) per convolution, then the stage's pool."""
    with_bn = name.endswith('_bn')
    depth = int(re.match(r'vgg(\d+)', name)[1])
    rules, index, target = [], 0, 0
    for num_convs in VGG.arch_settings[depth]:
        for _ in range(num_convs):
            rules.append((rf'^features\.{index}\.', f'backbone.features.{target}.conv.'))
            if with_bn:
                rules.append((rf'^features\.{index + 1}\.', f'backbone.features.{target}.bn.'))
            index += 3 if with_bn else 2
            target += 1
        index += 1  # the stage's max pool
        target += 1
    return rename(state, rules + classifier_rules(CLASSIFIER_LINEARS['vgg']))


# torchvision's Conv2dNormActivation children -> mmcv ConvModule's
CONV_NORM_RULES = [(r'^(backbone\..*)\.0\.(weight|bias)$', r'\1.conv.\2'),
                   (r'^(backbone\..*)\.1\.(\w+)$', r'\1.bn.\2')]


@converter('mobilenet_v2')
def convert_mobilenet_v2(name: str, state: StateDict) -> StateDict:
    """``features.0`` -> ``conv1``; ``features.<i>.conv.<k>`` -> the i-th block's ``conv.<k>``
    (expansion, depthwise, projection; torchvision's projection is a bare conv and its norm);
    the last feature layer -> ``conv2``; ``classifier.1`` -> ``head.fc``. Every convolution with
    its norm is an mmcv ``ConvModule`` (``conv``, ``bn``)."""
    blocks = block_names([n for _, _, n, _ in MobileNetV2.stage_settings])
    rules = [(r'^features\.0\.', 'backbone.conv1.'),
             (rf'^features\.{len(blocks) + 1}\.', 'backbone.conv2.'),
             (r'^classifier\.1\.', 'head.fc.')]
    for i, (stage, block) in enumerate(blocks):
        # torchvision's block: [expansion (not for t=1)], depthwise, projection conv, its norm
        num_convs = 2 if MobileNetV2.stage_settings[stage][0] == 1 else 3
        for k in range(num_convs - 1):
            rules.append((rf'^features\.{i + 1}\.conv\.{k}\.', f'backbone.{block}.conv.{k}.'))
        project = f'backbone.{block}.conv.{num_convs - 1}'
        rules += [(rf'^features\.{i + 1}\.conv\.{num_convs - 1}\.', f'{project}.0.'),
                  (rf'^features\.{i + 1}\.conv\.{num_convs}\.', f'{project}.1.')]
    return rename(rename(state, rules), CONV_NORM_RULES)


@converter('mobilenet_v3_small', 'mobilenet_v3_large')
def convert_mobilenet_v3(name: str, state: StateDict) -> StateDict:
    """``features.<i>`` -> ``layer<i>`` (mmpretrain's: every layer a stage); in the blocks
    ``block.<k>`` -> the block's layers (expansion where it widens, depthwise, SE where it has
    one, projection), the SE's ``fc1``/``fc2`` -> ``se.conv1.conv``/``se.conv2.conv``;
    ``classifier.0``/``classifier.3`` (Linear, Hardswish, Dropout, Linear) ->
    ``head.layers.0.fc``/``head.layers.1.fc``. Every convolution with its norm is an mmcv
    ``ConvModule`` (``conv``, ``bn``)."""
    rows = MobileNetV3.arch_settings[name.rsplit('_', 1)[-1]]
    rules = [(r'^features\.(\d+)\.(0|1)\.', r'backbone.layer\1.\2.'), *classifier_rules((0, 3))]
    in_channels = MobileNetV3.stem_channels
    for i, (_, mid, out, with_se, _, _) in enumerate(rows):
        layers = (['expand_conv'] if mid != in_channels else []) + ['depthwise_conv'] + \
            (['se'] if with_se else []) + ['linear_conv']
        for k, target in enumerate(layers):
            rules.append((rf'^features\.{i + 1}\.block\.{k}\.', f'backbone.layer{i + 1}.{target}.'))
        in_channels = out
    state = rename(state, rules)
    return rename(state, [(r'\.se\.fc(\d)\.', r'.se.conv\1.conv.')] + CONV_NORM_RULES)


@converter('googlenet')
def convert_googlenet(name: str, state: StateDict) -> StateDict:
    """``BasicConv2d``'s ``conv``/``bn`` -> ``ConvNormAct``'s ``0``/``1``; the stem and the
    Inception modules go under ``backbone.``, ``aux1``/``aux2`` -> ``head.aux.0``/``1``, ``fc`` ->
    ``head.fc``."""
    state = rename(state, [(r'\.conv\.(weight|bias)$', r'.0.\1'), (r'\.bn\.', '.1.')])
    return rename(state, [(r'^(conv\d|inception\d[a-e])\.', r'backbone.\1.'),
                          (r'^aux(\d)\.', lambda m: f'head.aux.{int(m[1]) - 1}.'),
                          (r'^fc\.', 'head.fc.')])


@converter('resnet18', 'resnet34', 'resnet50', 'resnet101', 'resnet152', 'resnext50_32x4d',
           'resnext101_32x8d')
def convert_resnet(name: str, state: StateDict) -> StateDict:
    """The backbone keys are torchvision's own; ``fc`` -> ``head.fc``."""
    return rename(state, [(r'^fc\.', 'head.fc.'), (r'^', 'backbone.')])


@converter('vit_b_16', 'vit_l_16')
def convert_vit(name: str, state: StateDict) -> StateDict:
    """``conv_proj`` -> ``patch_embed.projection``; ``class_token``, ``encoder.pos_embedding`` ->
    ``cls_token``, ``pos_embed``; ``encoder_layer_<i>`` -> ``layers.<i>`` with ``ln_1``/``ln_2``
    -> ``ln1``/``ln2``, ``self_attention.in_proj_*``/``out_proj`` -> ``attn.qkv``/``attn.proj``
    (q, k, v in the same order), ``mlp.0``/``mlp.3`` (or the legacy ``linear_1``/``linear_2``)
    -> ``ffn.layers.0.0``/``ffn.layers.1``; ``encoder.ln`` -> ``ln1``; ``heads`` ->
    ``head.layers`` (mmpretrain's names throughout)."""
    state = rename(state, [(r'\.ln_(\d)\.', r'.ln\1.'),
                           (r'\.self_attention\.in_proj_(weight|bias)$', r'.attn.qkv.\1'),
                           (r'\.self_attention\.out_proj\.', '.attn.proj.'),
                           (r'\.mlp\.(0|linear_1)\.', '.ffn.layers.0.0.'),
                           (r'\.mlp\.(3|linear_2)\.', '.ffn.layers.1.')])
    return rename(state, [
        (r'^conv_proj\.', 'backbone.patch_embed.projection.'),
        (r'^class_token$', 'backbone.cls_token'),
        (r'^encoder\.pos_embedding$', 'backbone.pos_embed'),
        (r'^encoder\.layers\.encoder_layer_(\d+)\.', r'backbone.layers.\1.'),
        (r'^encoder\.ln\.', 'backbone.ln1.'),
        (r'^heads\.', 'head.layers.'),
    ])


@converter('swin_t', 'swin_s', 'swin_b')
def convert_swin(name: str, state: StateDict) -> StateDict:
    """``features.0`` (conv, permute, norm) -> ``patch_embed.projection``/``norm``; the blocks
    ``features.<2k + 1>.<j>`` -> ``stages.<k>.blocks.<j>`` with ``attn.*`` -> ``attn.w_msa.*``
    (the ``relative_position_index`` as an ``N x N`` table) and ``mlp.0``/``mlp.3`` ->
    ``ffn.layers.0.0``/``ffn.layers.1``; the patch merging ``features.<2k + 2>`` ->
    ``stages.<k>.downsample``, its ``4C`` channels reordered from torchvision's concatenation
    to mmcv's unfold order (:func:`torchvision_merge_order`); ``norm`` -> ``norm3``; ``head`` ->
    ``head.fc`` (mmpretrain's names throughout)."""
    state = dict(state)
    for key in [k for k in state if k.endswith('.attn.relative_position_index')]:
        num_tokens = int(round(state[key].numel()**0.5))
        state[key] = state[key].reshape(num_tokens, num_tokens)
    for key in [k for k in state if re.match(r'features\.\d+\.(norm|reduction)\.', k)]:
        order = torchvision_merge_order(state[key].shape[-1] // 4).to(state[key].device)
        state[key] = state[key][..., order]
    state = rename(state, [(r'\.attn\.', '.attn.w_msa.'), (r'\.mlp\.0\.', '.ffn.layers.0.0.'),
                           (r'\.mlp\.3\.', '.ffn.layers.1.')])
    return rename(state, [
        (r'^features\.0\.0\.', 'backbone.patch_embed.projection.'),
        (r'^features\.0\.2\.', 'backbone.patch_embed.norm.'),
        (r'^features\.(\d+)\.(\d+)\.',
         lambda m: f'backbone.stages.{(int(m[1]) - 1) // 2}.blocks.{m[2]}.'),
        (r'^features\.(\d+)\.', lambda m: f'backbone.stages.{int(m[1]) // 2 - 1}.downsample.'),
        (r'^norm\.', 'backbone.norm3.'),
        (r'^head\.', 'head.fc.'),
    ])


def check_keys(state: StateDict,
               expected: StateDict,
               arch: str,
               source: str = 'torchvision') -> None:
    """Raise a ``KeyError`` naming the missing and unexpected keys and a ``ValueError`` naming
    the shape mismatches of a state dict converted from ``source``'s ``arch``."""
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    if missing or unexpected:
        raise KeyError(f'the checkpoint is not a {source} {arch}: after conversion '
                       f'{len(missing)} keys are missing ({", ".join(missing[:8])}'
                       f'{", ..." if len(missing) > 8 else ""}) and {len(unexpected)} are '
                       f'unexpected ({", ".join(unexpected[:8])}'
                       f'{", ..." if len(unexpected) > 8 else ""})')
    mismatched = [
        f'{key}: {tuple(state[key].shape)} vs {tuple(value.shape)}'
        for key, value in expected.items() if state[key].shape != value.shape
    ]
    if mismatched:
        raise ValueError(f'the checkpoint does not fit zoo\'s {arch}: shapes differ for '
                         f'{"; ".join(mismatched[:8])}')


def convert(arch: str, state: StateDict) -> StateDict:
    """Convert a torchvision ``arch`` state dict into the state dict of the zoo model of
    ``CONFIGS[arch]``, checked key by key and shape by shape."""
    if arch not in CONVERTERS:
        raise KeyError(f'no converter for {arch!r}; known: {sorted(CONVERTERS)}')
    converted = CONVERTERS[arch](state)
    register_all_modules()
    cfg = Config.fromfile(CONFIGS[arch])
    with torch.device('meta'):
        expected = build_model_from_cfg(cfg).state_dict()
    check_keys(converted, expected, arch)
    return converted
