"""zoo.apis' model hub: every leaf config by name with its metafile figures, models built with
overrides, and weights from a path, a Runner-style checkpoint or the metafile's published
torchvision weights (served from torch's hub cache: nothing is downloaded)."""
from pathlib import Path

import pytest
import torch
import torchvision

from tests.conftest import REPO_ROOT
from zoo.apis import get_model, init_model, list_models
from zoo.utils.metafile import load_all_metafiles

LEAF_CONFIGS = sorted(
    p.stem for p in (REPO_ROOT / 'configs').glob('*/*.py') if p.parent.name != '_base_')
CIFAR = 'resnet18_8xb16_cifar10'


def test_every_leaf_config_is_listed():
    models = list_models()
    assert list(models) == LEAF_CONFIGS
    assert 'retinanet_r18_fpn_gn-head_1xb8-6e_shapes' in models
    assert all(info.config.is_file() for info in models.values())


def test_patterns_match_the_start_of_names_as_mmpretrain():
    assert list(list_models('resnet50')) == ['resnet50_1xb32-ft_photos', 'resnet50_8xb32_in1k']
    cifar = list_models('*cifar10')
    assert cifar and all(name.endswith('cifar10') for name in cifar)
    assert list_models('no-such-model') == {}


def test_metafile_entries_carry_their_figures():
    metafiles = load_all_metafiles(REPO_ROOT / 'configs')
    models = list_models()
    for name, entry in metafiles.items():
        assert models[name].metafile.name == name
    resnet50 = models['resnet50_8xb32_in1k']
    assert (resnet50.params, resnet50.flops, resnet50.top1, resnet50.top5) == \
        (25560000, 4120000000, 76.55, 93.06)
    assert resnet50.weights == 'https://download.pytorch.org/models/resnet50-0676ba61.pth'
    assert models['seresnet50_8xb32_in1k'].weights is None  # published figures, no weights
    cifar = models[CIFAR]
    assert (cifar.metafile, cifar.params, cifar.weights) == (None, None, None)


def test_an_unknown_name_lists_the_closest():
    with pytest.raises(
            ValueError,
            match="no zoo model named 'resnet18_cifar10'; closest: "
            'resnet18_8xb16_cifar10'):
        get_model('resnet18_cifar10')


def test_overrides_merge_into_the_model_config():
    model = get_model(CIFAR, head=dict(num_classes=5))
    assert model.head.fc.out_features == 5
    assert model.head.fc.in_features == 512  # the rest of the head config is kept
    assert model.cfg.model.head.num_classes == 5
    assert not model.training
    # the test data set's classes name the predictions
    assert get_model(CIFAR).dataset_meta['classes'][3] == 'cat'


def test_a_config_file_from_another_project_inherits_with_zoo_scope(tmp_path):
    config = tmp_path / 'my_resnet.py'
    config.write_text("_base_ = 'zoo::resnet/resnet18_8xb16_cifar10.py'\n"
                      "model = dict(head=dict(num_classes=4))\n")
    model = get_model(str(config))
    assert model.head.fc.out_features == 4
    assert type(model.backbone).__name__ == 'ResNet_CIFAR'


def save_runner_checkpoint(model: torch.nn.Module, path: Path, classes=None) -> Path:
    """A checkpoint as MMEngine's Runner writes it: state_dict and meta.dataset_meta."""
    meta = dict(dataset_meta=dict(classes=list(classes))) if classes else {}
    torch.save(dict(state_dict=model.state_dict(), meta=meta), path)
    return path


def test_a_checkpoint_path_loads_weights_and_class_names(tmp_path):
    trained = get_model(CIFAR, head=dict(num_classes=3))
    with torch.no_grad():
        for param in trained.parameters():
            param.normal_()
    path = save_runner_checkpoint(trained, tmp_path / 'epoch_1.pth', ['a', 'b', 'c'])
    for model in (get_model(CIFAR, pretrained=str(path), head=dict(num_classes=3)),
                  init_model(
                      str(REPO_ROOT / f'configs/resnet/{CIFAR}.py'),
                      str(path),
                      head=dict(num_classes=3))):
        for key, value in trained.state_dict().items():
            assert torch.equal(model.state_dict()[key], value), key
        assert model.dataset_meta == dict(classes=['a', 'b', 'c'])


def test_a_checkpoint_for_another_class_count_says_so(tmp_path):
    path = save_runner_checkpoint(get_model(CIFAR, head=dict(num_classes=5)), tmp_path / 'five.pth')
    with pytest.raises(ValueError) as error:
        get_model(CIFAR, pretrained=str(path))
    message = str(error.value)
    assert 'head.fc.weight: checkpoint (5, 512), model (10, 512)' in message
    assert 'trained for 5 classes and the model has 10' in message
    assert 'head=dict(num_classes=5)' in message


def test_a_checkpoint_of_another_architecture_names_the_keys(tmp_path):
    path = save_runner_checkpoint(get_model('lenet5_1xb64_digits'), tmp_path / 'lenet.pth')
    with pytest.raises(ValueError, match=r'missing keys \[backbone\.'):
        get_model(CIFAR, pretrained=str(path))


def test_published_weights_need_a_metafile_entry_with_weights():
    with pytest.raises(ValueError, match='has no metafile entry'):
        get_model(CIFAR, pretrained=True)
    with pytest.raises(
            ValueError,
            match=r'seresnet50_8xb32_in1k: its metafile entry \(.*'
            r'metafile.yml\) publishes no weights'):
        get_model('seresnet50_8xb32_in1k', pretrained=True)


def test_published_weights_load_from_the_torch_hub_cache(tmp_path, monkeypatch):
    """pretrained=True reads the metafile's torchvision URL through torch.hub; with the file
    already in the hub cache nothing is downloaded, and the converted model computes what
    torchvision's does."""
    name = 'mobilenet-v3-small_8xb128_in1k'
    url = list_models()[name].weights
    torch.manual_seed(0)
    reference = torchvision.models.mobilenet_v3_small().eval()
    cache = tmp_path / 'torch' / 'hub' / 'checkpoints'
    cache.mkdir(parents=True)
    torch.save(reference.state_dict(), cache / url.rsplit('/', 1)[-1])
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch'))

    model = get_model(name, pretrained=True)
    x = torch.rand(2, 3, 224, 224)
    with torch.no_grad():
        torch.testing.assert_close(model(x), reference(x), rtol=1e-4, atol=1e-5)
    assert len(model.dataset_meta['classes']) == 1000
    assert model.dataset_meta['classes'][0] == 'tench'
