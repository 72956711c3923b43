"""zoo.converters.timm_to_zoo: timm's weights, converted, load strictly into the zoo model of
the architecture's config and give timm's logits (eval mode, one random 224 px image).

timm's models start with norms at weight 1, bias 0 (BatchNorms at mean 0, variance 1): every
norm gets random affine parameters and statistics, and the classifier random weights, so that
a swapped or skipped layer, or a BatchNorm eps left unmatched, would show. Every converter is
checked key by key and shape by shape on the ``meta`` device; the logits of the larger models
are compared in the tests marked slow
(``python -m pytest -m slow tests/tools/test_timm_to_zoo.py``).
"""
import pytest
import timm
import torch
from mmengine.config import Config

from tests.tools.test_torchvision_to_zoo_transformers import randomise
from zoo.analysis.peers import TIMM_MODELS
from zoo.converters import timm_to_zoo as converter
from zoo.converters import torchvision_to_zoo
from zoo.models import build_model_from_cfg
from zoo.utils import register_all_modules
from zoo.utils.metafile import load_all_metafiles

# under 10 s each on a loaded 2-core machine; the others build 50-300M parameters twice
QUICK = [
    'mobilenetv2_100', 'mobilenetv3_small_100', 'mobilenetv3_large_100', 'seresnet50', 'vgg11_bn',
    'vit_base_patch16_224', 'swin_tiny_patch4_window7_224'
]
SLOW = sorted(set(converter.CONVERTERS) - set(QUICK))


def timm_model(name: str, cfg: Config) -> torch.nn.Module:
    """timm's ``name`` with random weights, at the zoo config's size where timm fixes it."""
    torch.manual_seed(0)
    kwargs = {}
    if timm.get_pretrained_cfg(name).fixed_input_size:
        kwargs['img_size'] = cfg.model.backbone.get('img_size', 224)
    model = timm.create_model(name, pretrained=False, **kwargs)
    randomise(model)
    return model.eval()


def check_logits(name: str) -> None:
    register_all_modules()
    cfg = Config.fromfile(converter.CONFIGS[name])
    peer = timm_model(name, cfg)
    model = build_model_from_cfg(cfg)
    model.load_state_dict(converter.convert(name, peer.state_dict()), strict=True)
    model.eval()
    x = torch.randn(1, 3, 224, 224, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected, logits = peer(x), model(x, mode='tensor')
    assert logits.shape == expected.shape == (1, 1000)
    assert expected.abs().max() > 1e-2, 'degenerate logits would prove nothing'
    assert (logits - expected).abs().max() <= 1e-5


@pytest.mark.parametrize('name', sorted(converter.CONVERTERS))
def test_keys_and_shapes_convert(name):
    """``convert`` itself checks every key and shape against the zoo model of the config."""
    with torch.device('meta'):
        state = timm.create_model(name, pretrained=False).state_dict()
    assert len(converter.convert(name, state)) >= len(state)


@pytest.mark.parametrize('name', QUICK)
def test_converted_weights_give_timm_logits(name):
    check_logits(name)


@pytest.mark.slow
@pytest.mark.parametrize('name', SLOW)
def test_converted_weights_of_larger_models_give_timm_logits(name):
    check_logits(name)


def test_every_timm_peer_of_the_report_converts():
    """Each timm model of the report's rows converts into the row's own model: by this module,
    or, where its keys are torchvision's (ResNets, ResNeXts), by torchvision's converter."""
    metafiles = load_all_metafiles()
    for zoo_name, timm_name in TIMM_MODELS.items():
        configs = converter.CONFIGS if timm_name in converter.CONVERTERS else \
            torchvision_to_zoo.CONFIGS
        assert Config.fromfile(configs[timm_name]).model == \
            Config.fromfile(metafiles[zoo_name].config).model, zoo_name


@pytest.mark.parametrize('name, source',
                         [('mobilenetv3_large_100', 'mobilenetv3_small_100'),
                          ('swin_tiny_patch4_window7_224', 'vit_small_patch16_224')])
def test_checkpoint_of_another_architecture_names_the_keys(name, source):
    with torch.device('meta'):
        state = timm.create_model(source, pretrained=False).state_dict()
    with pytest.raises(
            KeyError,
            match=rf'not a timm {name}: after conversion \d+ keys are '
            r'missing \(backbone\..*\) and \d+ are unexpected \('):
        converter.convert(name, state)


def test_unknown_model_is_named():
    with pytest.raises(KeyError, match="no converter for timm 'resnet50'.*torchvision_to_zoo"):
        converter.convert('resnet50', {})
