"""tools/model_converters/torchvision_to_zoo.py: torchvision's weights, converted, give
torchvision's logits in the zoo model of the architecture's config."""

import pytest
import torch
import torchvision
from mmengine.config import Config

from tests.conftest import REPO_ROOT, run_tool
from tests.models.test_backbones_torchvision import randomise_norm_layers
from zoo.converters import torchvision_to_zoo as converter
from zoo.models import build_model_from_cfg
from zoo.utils import register_all_modules

TV_KWARGS = {'googlenet': dict(aux_logits=True, init_weights=True)}
# Tested in test_torchvision_to_zoo_transformers.py: ViT only takes 224 px and starts with a
# zero classifier, the transformers' LayerNorms need random affine parameters, and the larger
# ResNets are compared in slow tests there.
TESTED_ELSEWHERE = {
    'vit_b_16', 'vit_l_16', 'swin_t', 'swin_s', 'swin_b', 'resnet34', 'resnet50', 'resnet101',
    'resnet152', 'resnext101_32x8d'
}


def torchvision_model(arch: str) -> torch.nn.Module:
    torch.manual_seed(0)
    model = getattr(torchvision.models, arch)(weights=None, **TV_KWARGS.get(arch, {}))
    randomise_norm_layers(model)
    return model.eval()


def zoo_model(arch: str) -> torch.nn.Module:
    register_all_modules()
    return build_model_from_cfg(Config.fromfile(converter.CONFIGS[arch]))


@pytest.mark.parametrize('arch', sorted(set(converter.CONVERTERS) - TESTED_ELSEWHERE))
def test_converted_weights_give_torchvision_logits(arch):
    tv_model = torchvision_model(arch)
    model = zoo_model(arch)
    model.load_state_dict(converter.convert(arch, tv_model.state_dict()), strict=True)
    model.eval()
    x = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected, logits = tv_model(x), model(x, mode='tensor')
    assert logits.shape == expected.shape == (2, 1000)
    assert expected.abs().max() > 1e-3, 'degenerate logits would prove nothing'
    assert (logits - expected).abs().max() <= 1e-4


def test_googlenet_auxiliary_classifiers_equal_torchvision():
    tv_model = torchvision_model('googlenet')
    model = zoo_model('googlenet').eval()
    model.load_state_dict(converter.convert('googlenet', tv_model.state_dict()))
    captured = {}
    for name in ('inception4a', 'inception4d'):
        getattr(tv_model, name).register_forward_hook(
            lambda module, inputs, output, name=name: captured.__setitem__(name, output))
    x = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        tv_model(x)
        feats = model.backbone(x)
        for i, name in enumerate(('inception4a', 'inception4d')):
            expected = getattr(tv_model, f'aux{i + 1}')(captured[name])
            assert (model.head.aux[i](feats[i]) - expected).abs().max() <= 1e-4


@pytest.mark.parametrize('arch, source', [('mobilenet_v3_small', 'mobilenet_v3_large'),
                                          ('mobilenet_v2', 'googlenet')])
def test_checkpoint_of_another_architecture_names_the_keys(arch, source):
    with torch.device('meta'):
        state = getattr(torchvision.models, source)(weights=None, **TV_KWARGS.get(source, {}))
        state = state.state_dict()
    with pytest.raises(KeyError, match=rf'not a torchvision {arch}.*missing \(.*unexpected'):
        converter.convert(arch, state)


@pytest.mark.slow  # a fresh interpreter imports torch, mmengine and zoo: about 15 s
def test_command_line_writes_a_checkpoint_that_loads(tmp_path):
    source, target = tmp_path / 'mobilenet_v3_small.pth', tmp_path / 'out' / 'zoo.pth'
    tv_model = torchvision_model('mobilenet_v3_small')
    torch.save(tv_model.state_dict(), source)
    tool = REPO_ROOT / 'tools' / 'model_converters' / 'torchvision_to_zoo.py'
    run_tool(str(tool), 'mobilenet_v3_small', str(source), str(target))
    checkpoint = torch.load(target, map_location='cpu', weights_only=True)
    model = zoo_model('mobilenet_v3_small')
    model.load_state_dict(checkpoint['state_dict'], strict=True)
    assert torch.equal(model.backbone.layer0.conv.weight, tv_model.features[0][0].weight)
