"""zoo's classification backbones against mmpretrain 1.2.0's, model by model.

For every model mmpretrain lists (``mmpretrain.list_models()``) whose backbone is a class zoo
has (MobileNetV2, MobileNetV3, VGG, VisionTransformer, SwinTransformer), plus LeNet-5 (its
packaged ``lenet5_mnist`` config) and AlexNet (no config ships; its class with a classifier),
the backbone dict of mmpretrain's config is built by both registries and:

* the state-dict keys and shapes are identical (``N of M keys equal`` is printed);
* mmpretrain's weights, randomised so that a swapped or skipped layer shows, load into zoo's
  backbone with ``strict=True``;
* the eval-mode outputs on the same input are equal (max abs diff <= 1e-5).

The whole classifier (backbone, neck, head) is compared too for models whose head zoo has.
The default run keeps one or two cheap models per family; the rest are marked ``slow``:

    PYTHONPATH=$PWD python -m pytest -s tests/parity/test_mmpretrain_backbones.py -m slow

``-s`` shows the ``N of M`` lines. Models whose backbone zoo does not have are listed in
``UNSUPPORTED`` with the reason.
"""
import copy
import inspect
import warnings
from pathlib import Path
from typing import Dict, List, Tuple

import pytest
import torch
from torch import Tensor, nn

mmpretrain = pytest.importorskip('mmpretrain')
from mmengine.config import Config  # noqa: E402
from mmpretrain.apis.model import ModelHub  # noqa: E402
from mmpretrain.registry import MODELS as MMPRETRAIN_MODELS  # noqa: E402

import zoo.models  # noqa: E402,F401  (registers every component)
from zoo.registry import MODELS  # noqa: E402

FAMILIES = ('MobileNetV2', 'MobileNetV3', 'VGG', 'VisionTransformer', 'SwinTransformer')
PREFIXES = ('mobilenet-v2', 'mobilenet-v3', 'vgg', 'vit-', 'deit-', 'swin-')
CONFIG_ROOT = Path(mmpretrain.__file__).parent / '.mim' / 'configs'
# Backbones of mmpretrain's packaged configs that have no list_models() entry.
EXTRA_BACKBONES = {
    'lenet5_mnist': Config.fromfile(CONFIG_ROOT / 'lenet' / 'lenet5_mnist.py').model.backbone,
    'alexnet (class, num_classes=1000)': dict(type='AlexNet', num_classes=1000),
}
# Models under those name prefixes whose backbone class zoo does not have (or not fully).
UNSUPPORTED = {
    'DistilledVisionTransformer': 'DeiT with a distillation token: not a zoo class',
    'ViTEVA02': 'EVA-02 (rotary embeddings, SwiGLU): not a zoo class',
    'ViTSAM': 'SAM image encoder: not a zoo class',
    'MoCoV3ViT': 'MoCo v3 ViT (fixed sin-cos embedding): not a zoo class',
    "ffn_type='swiglu_fused'": "zoo's TransformerEncoderLayer has only ffn_type='origin'",
}
# The default run: cheap models, at least one of each family and of each layout option.
DEFAULT = {
    'mobilenet-v2_8xb32_in1k', 'mobilenet-v3-large_8xb128_in1k',
    'mobilenet-v3-small-050_3rdparty_in1k', 'vgg11bn_8xb32_in1k', 'deit-tiny_4xb256_in1k',
    'vit-base-p32_clip-openai-pre_3rdparty_in1k', 'swin-tiny_16xb64_in1k', 'lenet5_mnist',
    'alexnet (class, num_classes=1000)'
}
# Whole classifiers compared: those whose head zoo has with mmpretrain's keys. Not VGG
# (zoo registers no ClsHead) nor MobileNetV3 (zoo's StackedLinearClsHead names its layers
# layers.0/layers.3 where mmpretrain's has layers.0.fc/layers.1.fc).
WHOLE_MODELS = ['mobilenet-v2_8xb32_in1k', 'deit-tiny_4xb256_in1k', 'swin-tiny_16xb64_in1k']


def backbone_configs() -> Tuple[Dict[str, dict], Dict[str, str]]:
    """mmpretrain's backbone config of each model of zoo's families, and the models left out
    with the reason."""
    configs, left_out = {}, {}
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        for name in mmpretrain.list_models():
            if not name.startswith(PREFIXES):
                continue
            backbone = ModelHub.get(name).config.model.get('backbone')
            if backbone is None:
                continue
            backbone = backbone.to_dict()
            if backbone['type'] not in FAMILIES:
                left_out[name] = UNSUPPORTED.get(backbone['type'], backbone['type'])
            elif backbone.get('layer_cfgs', {}).get('ffn_type') == 'swiglu_fused':
                left_out[name] = UNSUPPORTED["ffn_type='swiglu_fused'"]
            else:
                configs[name] = backbone
    for name, backbone in EXTRA_BACKBONES.items():
        configs[name] = dict(backbone)
    return configs, left_out


CONFIGS, LEFT_OUT = backbone_configs()
RESULTS: Dict[str, bool] = {}


@pytest.fixture(scope='module', autouse=True)
def report():
    yield
    equal = sum(RESULTS.values())
    print(f'\nmmpretrain backbones equal in keys, shapes, strict load and outputs: '
          f'{equal} of {len(RESULTS)} run ({len(CONFIGS)} listed; {len(LEFT_OUT)} left out: '
          f'{sorted(set(LEFT_OUT.values()))})')


def input_shape(cfg: dict) -> Tuple[int, ...]:
    """The input of a model: LeNet-5 reads 32x32 grey images; the others at their config's
    ``img_size`` (224 by default; VGG's and AlexNet's classifiers need 224)."""
    if cfg['type'] == 'LeNet5':
        return (2, 1, 32, 32)
    size = cfg.get('img_size', 224)
    return (2, 3, size, size) if isinstance(size, int) else (2, 3, *size)


def randomise(model: nn.Module, seed: int = 0) -> None:
    """Perturb every float parameter and buffer (norm weights, zero-initialised tokens and
    position tables included) so that equal outputs need every tensor in its place."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if not tensor.is_floating_point():
                continue
            noise = torch.randn(tensor.shape, generator=generator)
            if name.endswith('running_var'):
                tensor.add_(noise.abs() * 0.1)
            else:
                scale = max(float(tensor.std()) if tensor.numel() > 1 else 0.0, 0.02)
                tensor.add_(noise * scale)


def build_pair(cfg: dict) -> Tuple[nn.Module, nn.Module]:
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        theirs = MMPRETRAIN_MODELS.build(copy.deepcopy(cfg))
        ours = MODELS.build(copy.deepcopy(cfg))
    return theirs, ours


def max_abs_diffs(theirs: Tuple[Tensor, ...], ours: Tuple[Tensor, ...]) -> List[float]:
    assert len(theirs) == len(ours)
    for a, b in zip(theirs, ours):
        assert a.shape == b.shape, f'output shapes differ: {tuple(a.shape)} vs {tuple(b.shape)}'
    return [float((a - b).abs().max()) for a, b in zip(theirs, ours)]


def params(names):
    return [
        pytest.param(name, marks=() if name in DEFAULT else pytest.mark.slow)
        for name in sorted(names)
    ]


def test_every_family_is_covered():
    """The sweep is not vacuous: each family has models, and the default run covers each."""
    families = {cfg['type'] for cfg in CONFIGS.values()}
    assert families == set(FAMILIES) | {'LeNet5', 'AlexNet'}
    assert {CONFIGS[name]['type'] for name in DEFAULT} == families
    assert len(CONFIGS) >= 60, sorted(CONFIGS)


@pytest.mark.parametrize('name', params(CONFIGS))
def test_backbone_equals_mmpretrain(name):
    cfg = CONFIGS[name]
    RESULTS[name] = False
    theirs, ours = build_pair(cfg)
    their_shapes = {k: tuple(v.shape) for k, v in theirs.state_dict().items()}
    our_shapes = {k: tuple(v.shape) for k, v in ours.state_dict().items()}
    equal = sum(our_shapes.get(k) == shape for k, shape in their_shapes.items())
    print(f'\n{name} ({cfg["type"]}): {equal} of {len(their_shapes)} keys equal '
          f'(zoo has {len(our_shapes)})')
    assert our_shapes == their_shapes

    randomise(theirs)
    ours.load_state_dict(theirs.state_dict(), strict=True)
    theirs.eval()
    ours.eval()
    x = torch.randn(*input_shape(cfg), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected = theirs(x)
        diffs = max_abs_diffs(expected, ours(x))
    assert max(float(out.std()) for out in expected) > 1e-3, 'degenerate outputs prove nothing'
    print(f'{name}: max abs output diff {max(diffs):.2e}')
    assert max(diffs) <= 1e-5
    RESULTS[name] = True


@pytest.mark.parametrize('name', WHOLE_MODELS)
def test_whole_classifier_equals_mmpretrain(name):
    """``mmpretrain.get_model(name)`` (no weights) against zoo's ImageClassifier with the same
    backbone, neck and head configs: strict load of its randomised weights, equal logits."""
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        theirs = mmpretrain.get_model(name)
    cfg = ModelHub.get(name).config.model
    head = cfg.head.to_dict()
    if MODELS.get(head['loss']['type']) is None:
        # The loss has no weights and no part in the logits; zoo's LabelSmoothLoss is another
        # change's (issue 9), so the head computes its logits with zoo's cross-entropy here.
        head['loss'] = dict(type='CrossEntropyLoss')
    ours = MODELS.build(
        dict(
            type='ImageClassifier',
            backbone=cfg.backbone.to_dict(),
            neck=cfg.get('neck') and cfg.neck.to_dict(),
            head=head))
    assert {k: v.shape for k, v in ours.state_dict().items()} == \
        {k: v.shape for k, v in theirs.state_dict().items() if k.startswith(
            ('backbone.', 'neck.', 'head.'))}
    randomise(theirs)
    ours.load_state_dict(
        {
            k: v
            for k, v in theirs.state_dict().items() if not k.startswith('data_preprocessor')
        },
        strict=True)
    x = torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        diff, = max_abs_diffs((theirs.eval()(x, mode='tensor'), ), (ours.eval()(x), ))
    print(f'\n{name} (whole classifier): max abs logit diff {diff:.2e}')
    assert diff <= 1e-5


@pytest.mark.parametrize('family', FAMILIES + ('LeNet5', 'AlexNet'))
def test_every_mmpretrain_argument_is_accepted(family):
    theirs = inspect.signature(MMPRETRAIN_MODELS.get(family)).parameters
    ours = inspect.signature(MODELS.get(family)).parameters
    assert [name for name in theirs if name not in ours] == []


@pytest.mark.parametrize('cfg, message', [
    (dict(type='MobileNetV3', arch='medium'),
     r"MobileNetV3: arch 'medium' is not one of \['small', 'small_075', 'small_050', 'large'\]"),
    (dict(type='VGG', depth=15), r'VGG: depth 15 is not one of \[11, 13, 16, 19\]'),
    (dict(type='VGG', depth=11, num_stages=4), r'VGG: dilations \(1, 1, 1, 1, 1\) must give'),
    (dict(type='VisionTransformer', layer_cfgs=dict(ffn_type='swiglu_fused')),
     "TransformerEncoderLayer: ffn_type 'swiglu_fused' is not supported; zoo has 'origin'"),
    (dict(type='VisionTransformer',
          out_type='tokens'), "VisionTransformer: out_type 'tokens' is not one of"),
    (dict(
        type='SwinTransformer', stage_cfgs=dict(block_cfgs=dict(attn_cfgs=dict(
            window_msa=object)))), 'ShiftWindowMSA: window_msa .* is not supported; zoo has '
     'WindowMSA only'),
    (dict(type='SwinTransformer', stage_cfgs=dict(downsample_cfg=dict(padding='reflect'))),
     "PatchMerging: padding 'reflect' is not 'corner', 'same' or a number"),
])
def test_unsupported_values_name_the_component_and_the_choices(cfg, message):
    with pytest.raises(ValueError, match=message):
        MODELS.build(cfg)
