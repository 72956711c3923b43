"""The backbone contract, checked on every backbone registered in zoo's MODELS registry.

The backbones are discovered from the registry, not listed by hand: a newly registered family
without an entry in ``CONTRACT_CONFIGS`` fails ``test_every_backbone_has_a_contract_config``.
"""
import doctest
import functools
from typing import Dict, List, Tuple

import pytest
import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

import zoo.models  # noqa: F401  (registers every component)
from zoo.models.backbones import BaseBackbone
from zoo.registry import MODELS

# Class name -> (a small build config without `type`, the input shape it is tested on). Where a
# family can have norm layers, the config asks for BatchNorm so that `norm_eval` and the
# freezing of norm layers are exercised; the plain variants are built by the config tests.
CONTRACT_CONFIGS: Dict[str, Tuple[dict, Tuple[int, ...]]] = {
    'LeNet5': (dict(norm_cfg=dict(type='BN')), (2, 1, 32, 32)),
    'AlexNet': (dict(norm_cfg=dict(type='BN')), (2, 3, 64, 64)),
    'VGG': (dict(depth=11, norm_cfg=dict(type='BN')), (2, 3, 64, 64)),
    'ResNet': (dict(depth=18), (2, 3, 64, 64)),
    'ResNet_CIFAR': (dict(depth=18), (2, 3, 32, 32)),
    'ResNeXt': (dict(depth=50, groups=32, width_per_group=4), (2, 3, 64, 64)),
    'ResNetV1c': (dict(depth=18), (2, 3, 64, 64)),
    'ResNetV1d': (dict(depth=18), (2, 3, 64, 64)),
    'SEResNet': (dict(depth=50), (2, 3, 64, 64)),
    'SEResNeXt': (dict(depth=50, groups=32, width_per_group=4), (2, 3, 64, 64)),
    'GoogLeNet': (dict(), (2, 3, 64, 64)),
    'GoogLeNet_CIFAR': (dict(), (2, 3, 32, 32)),
    'MobileNetV1': (dict(widen_factor=0.25), (2, 3, 64, 64)),
    'MobileNetV2': (dict(widen_factor=0.5), (2, 3, 64, 64)),
    'MobileNetV3': (dict(arch='small'), (2, 3, 64, 64)),
    'SSDVGG': (dict(depth=11, norm_cfg=dict(type='BN')), (2, 3, 64, 64)),
    # Transformers: tiny arch dicts; BatchNorm over tokens in place of LayerNorm.
    'VisionTransformer': (dict(
        arch=dict(embed_dims=32, num_layers=2, num_heads=2, feedforward_channels=64),
        img_size=32,
        patch_size=8,
        out_type='featmap',
        norm_cfg=dict(type='BN')), (2, 3, 32, 32)),
    'SwinTransformer': (dict(
        arch=dict(embed_dims=16, depths=(2, 2, 2, 2), num_heads=(1, 2, 2, 4)),
        window_size=4,
        norm_cfg=dict(type='BN')), (2, 3, 64, 64)),
}
# The argument that selects a row of a family's `arch_settings` table.
ARCH_KEYS = ('depth', 'arch')


def registered_backbones() -> List[str]:
    return sorted(name for name, cls in MODELS.module_dict.items()
                  if isinstance(cls, type) and issubclass(cls, BaseBackbone))


BACKBONES = registered_backbones()


def contract_config(name: str) -> Tuple[dict, Tuple[int, ...]]:
    if name not in CONTRACT_CONFIGS:
        pytest.fail(f'backbone {name!r} is registered but has no entry in CONTRACT_CONFIGS')
    return CONTRACT_CONFIGS[name]


def build(name: str, **overrides) -> BaseBackbone:
    cfg, _ = contract_config(name)
    return MODELS.build(dict(type=name, **{**cfg, **overrides}))


def make_input(name: str) -> torch.Tensor:
    _, shape = contract_config(name)
    return torch.rand(*shape, generator=torch.Generator().manual_seed(0))


@functools.lru_cache(maxsize=None)
def num_stages(name: str) -> int:
    return build(name).num_stages


def norm_layers(module: nn.Module) -> List[_BatchNorm]:
    return [m for m in module.modules() if isinstance(m, _BatchNorm)]


def test_registry_discovery_finds_the_backbone_families():
    # discovery (not a hand-written list) must see the families, or every test here is vacuous
    assert {'LeNet5', 'AlexNet', 'VGG', 'ResNet', 'ResNeXt'} <= set(BACKBONES)


def test_every_backbone_has_a_contract_config():
    missing = sorted(set(BACKBONES) - set(CONTRACT_CONFIGS))
    stale = sorted(set(CONTRACT_CONFIGS) - set(BACKBONES))
    assert not missing, f'registered backbones without a contract config: {missing}'
    assert not stale, f'contract configs for backbones that are not registered: {stale}'


@pytest.mark.parametrize('name', BACKBONES)
def test_forward_matches_declared_outputs(name):
    model = build(name).eval()
    assert len(model.out_channels) == len(model.out_indices) >= 1
    with torch.no_grad():
        outs = model(make_input(name))
    assert isinstance(outs, tuple)
    assert len(outs) == len(model.out_indices)
    for out, channels in zip(outs, model.out_channels):
        assert out.shape[0] == make_input(name).shape[0]
        assert out.shape[1] == channels


@pytest.mark.parametrize('name', BACKBONES)
def test_every_stage_output_matches_stage_channels(name):
    n = num_stages(name)
    model = build(name, out_indices=tuple(range(n))).eval()
    assert model.out_indices == tuple(range(n))
    assert model.out_channels == model.stage_channels
    with torch.no_grad():
        outs = model(make_input(name))
    assert [out.shape[1] for out in outs] == list(model.stage_channels)
    sizes = [out.shape[-1] for out in outs]
    assert sizes == sorted(sizes, reverse=True), f'spatial sizes grow: {sizes}'


@pytest.mark.parametrize('name', BACKBONES)
def test_init_weights_runs(name):
    """The default init_cfg is valid (a typo in it would only surface when training starts)."""
    model = build(name)
    model.init_weights()
    with torch.no_grad():
        outs = model.eval()(make_input(name))
    assert all(torch.isfinite(out).all() for out in outs)


@pytest.mark.parametrize('name', BACKBONES)
def test_multi_level_out_indices_with_negative_index(name):
    n = num_stages(name)
    model = build(name, out_indices=(-1, 0)).eval()
    assert model.out_indices == (0, n - 1)
    assert model.out_channels == (model.stage_channels[0], model.stage_channels[-1])
    with torch.no_grad():
        first, last = model(make_input(name))
    assert (first.shape[1], last.shape[1]) == model.out_channels


@pytest.mark.parametrize('name', BACKBONES)
def test_backward_reaches_every_trainable_parameter(name):
    model = build(name, out_indices=tuple(range(num_stages(name)))).train()
    outs = model(make_input(name))
    sum(out.sum() for out in outs).backward()
    trainable = [(pname, p) for pname, p in model.named_parameters() if p.requires_grad]
    assert trainable
    no_grad = [pname for pname, p in trainable if p.grad is None]
    assert not no_grad, f'parameters without a gradient: {no_grad}'


@pytest.mark.parametrize('frozen_stages', [0, 1])
@pytest.mark.parametrize('name', BACKBONES)
def test_frozen_stages(name, frozen_stages):
    model = build(name, frozen_stages=frozen_stages)
    model.train()
    # mmpretrain's MobileNetV3 and Swin freeze the stages 0 .. k (the class declares it).
    frozen_names = model.stem_names + \
        model.stage_names[:frozen_stages + model.frozen_stages_inclusive]
    for module_name in model.stem_names + model.stage_names:
        module = getattr(model, module_name)
        frozen = module_name in frozen_names
        params = list(module.parameters())
        assert all(p.requires_grad is not frozen for p in params), module_name
        # the modules whose mode changes what they compute; the others (convolutions, ReLU,
        # pools) may keep the flag that mmdet and mmpretrain leave them
        mode_dependent = [
            m for m in module.modules()
            if isinstance(m, (_BatchNorm, nn.modules.dropout._DropoutNd))
        ]
        assert all(m.training is not frozen for m in mode_dependent), module_name

    frozen_norms = [m for n in frozen_names for m in norm_layers(getattr(model, n))]
    before = [m.running_mean.clone() for m in frozen_norms]
    model(make_input(name))
    for norm, mean in zip(frozen_norms, before):
        assert torch.equal(norm.running_mean, mean), 'a frozen norm layer updated its statistics'


@pytest.mark.parametrize('name', BACKBONES)
def test_norm_eval_keeps_statistics(name):
    model = build(name, norm_eval=True)
    model.train()
    norms = norm_layers(model)
    assert norms, f'the contract config of {name} should build norm layers'
    assert model.training
    assert not any(m.training for m in norms)
    before = [(m.running_mean.clone(), m.running_var.clone()) for m in norms]
    model(make_input(name))
    for norm, (mean, var) in zip(norms, before):
        assert torch.equal(norm.running_mean, mean) and torch.equal(norm.running_var, var)

    # Without norm_eval the same forward does update them: the check above is not vacuous.
    model = build(name).train()
    norm = norm_layers(model)[0]
    mean = norm.running_mean.clone()
    model(make_input(name))
    assert not torch.equal(norm.running_mean, mean)


@pytest.mark.parametrize('name', BACKBONES)
def test_bad_out_indices_and_frozen_stages_raise(name):
    n = num_stages(name)
    for out_indices in [(n, ), (-n - 1, ), (0, -n)]:
        with pytest.raises(ValueError, match='out_indices'):
            build(name, out_indices=out_indices)
    for frozen_stages in [-2, n + 1 - build(name).frozen_stages_inclusive]:
        with pytest.raises(ValueError, match='frozen_stages'):
            build(name, frozen_stages=frozen_stages)


@pytest.mark.parametrize('name', BACKBONES)
def test_unknown_arch_lists_the_valid_ones(name):
    cls = MODELS.get(name)
    cfg, _ = contract_config(name)
    if not cls.arch_settings:  # BaseBackbone declares an empty table
        pytest.skip(f'{name} has no variants')
    keys = [key for key in ARCH_KEYS if key in cfg]
    assert keys, f'the contract config of {name} should choose a row of its arch_settings'
    with pytest.raises((ValueError, KeyError)) as error:
        build(name, **{keys[0]: 7})
    message = str(error.value)
    assert '7' in message
    assert all(str(valid) in message for valid in cls.arch_settings)


@pytest.mark.parametrize('name', BACKBONES)
def test_docstring_example_runs(name):
    cls = MODELS.get(name)
    tests = doctest.DocTestFinder(recurse=False).find(cls, name, globs={})
    assert tests and tests[0].examples, f'{name} docstring has no example'
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    report: List[str] = []
    for test in tests:
        runner.run(test, out=report.append)
    assert runner.failures == 0, ''.join(report)
