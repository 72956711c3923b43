"""The ``configs/*/metafile.yml`` files parse, point at configs that build the published
models, and cover every ImageNet classification config.

Models are built on the ``meta`` device (no memory, no initialisation): the file runs in
seconds.
"""
from pathlib import Path

import pytest
import torch
import torchvision
from mmengine.config import Config

from zoo.models import build_model_from_cfg
from zoo.utils import register_all_modules
from zoo.utils.metafile import (MetafileError, check_parameters, load_all_metafiles, load_metafile,
                                load_mmpretrain_metafiles)

REPO_ROOT = Path(__file__).resolve().parents[1]
CONFIG_ROOT = REPO_ROOT / 'configs'
MODELS = load_all_metafiles(CONFIG_ROOT)


def test_every_imagenet_classification_config_is_in_a_metafile():
    # the naming scheme puts the data set last: every ImageNet-1k recipe ends with _in1k
    configs = {path.stem for path in CONFIG_ROOT.glob('*/*_in1k.py')}
    assert configs, 'no ImageNet configs found'
    missing = sorted(configs - set(MODELS))
    assert not missing, f'add these configs to their family\'s metafile.yml: {missing}'


@pytest.mark.parametrize('name', sorted(MODELS))
def test_config_builds_the_published_model(name):
    entry = MODELS[name]
    register_all_modules()
    cfg = Config.fromfile(entry.config)
    assert cfg.model.type.split('.')[-1] == 'ImageClassifier'
    assert cfg.model.head.num_classes == 1000
    with torch.device('meta'):
        model = build_model_from_cfg(cfg)
    assert check_parameters(entry, model) == []


@pytest.mark.parametrize('name', sorted(n for n, m in MODELS.items() if m.torchvision))
def test_torchvision_figures_are_torchvision_metadata(name):
    """The ``Torchvision`` block repeats the weights' metadata of the installed torchvision."""
    block = MODELS[name].torchvision
    weights = torchvision.models.get_model_weights(block.name)[block.weights]
    metrics = weights.meta['_metrics']['ImageNet-1K']
    assert block.url == weights.url
    assert block.params == weights.meta['num_params']
    assert block.flops == round(weights.meta['_ops'] * 1e9)
    assert (block.top1, block.top5) == (metrics['acc@1'], metrics['acc@5'])


@pytest.mark.parametrize(
    'name',
    sorted(n for n, m in MODELS.items() if m.published and m.published.source == 'mmpretrain'))
def test_mmpretrain_figures_are_mmpretrain_metadata(name):
    """``Published By: mmpretrain`` figures repeat the installed mmpretrain's metafile entry
    that ``Source`` names."""
    published = MODELS[name].published
    source = load_mmpretrain_metafiles().get(published.reference)
    assert source is not None, f'{name}: mmpretrain has no model {published.reference!r}'
    assert (published.params, published.flops, published.top1, published.top5) == \
        (source.params, source.flops, source.top1, source.top5)


def test_published_and_torchvision_counts_agree():
    # the two zoos describe the same architecture: their counts agree to mmpretrain's rounding
    for entry in MODELS.values():
        if entry.published and entry.torchvision:
            assert abs(entry.published.params - entry.torchvision.params) <= 0.005 * \
                entry.torchvision.params, entry.name


def write_metafile(tmp_path: Path, model_yaml: str) -> Path:
    family = tmp_path / 'configs' / 'fam'
    family.mkdir(parents=True)
    (family / 'net_in1k.py').write_text('')
    path = family / 'metafile.yml'
    path.write_text('Collections:\n- Name: Net\nModels:\n' + model_yaml)
    return path


GOOD = """- Name: net_in1k
  In Collection: Net
  Config: configs/fam/net_in1k.py
  Metadata: {Published By: mmpretrain, Source: resnet50_8xb32_in1k, Parameters: 25560000,
             FLOPs: 4120000000}
  Results: [{Task: Image Classification, Dataset: ImageNet-1k,
             Metrics: {Top 1: 76.55, Top 5: 93.06}}]
"""


def test_a_valid_metafile_loads(tmp_path):
    (model, ) = load_metafile(write_metafile(tmp_path, GOOD))
    assert (model.published.params, model.published.top1, model.published.top5) == \
        (25560000, 76.55, 93.06)
    assert model.config == tmp_path / 'configs' / 'fam' / 'net_in1k.py'


@pytest.mark.parametrize('old, new, message', [
    ('Config: configs/fam/net_in1k.py', 'Config: configs/fam/gone.py', "'configs/fam/gone.py' "
     'does not exist'),
    ('In Collection: Net', 'In Collection: Other', "'Other' is not one of"),
    ('Parameters: 25560000', 'Parameters: 25.56', 'Parameters = 25.56 is outside'),
    ('FLOPs: 4120000000', 'FLOPs: 4.12', 'FLOPs = 4.12 is outside'),
    ('Top 1: 76.55', 'Top 1: 97.0', 'Top 5 (93.06) is below Top 1 (97.0)'),
    ('Top 5: 93.06', 'Top 5: 930.6', 'Top 5 = 930.6 is outside'),
    ('Published By: mmpretrain', 'Published By: me', "'me' is not one of"),
    ('Published By: mmpretrain, Source: resnet50_8xb32_in1k, ', '', 'Published By must say'),
    ('Source: resnet50_8xb32_in1k, ', '', "missing key 'Source'"),
    ('Parameters: 25560000', 'Parameters: many', "'Parameters' must be"),
    ('Dataset: ImageNet-1k', 'Dataset: CIFAR-10', "Dataset must be 'ImageNet-1k'"),
    ('  Config:', '  Weight: x\n  Config:', "unknown keys ['Weight']"),
])
def test_a_bad_metafile_names_the_problem(tmp_path, old, new, message):
    assert old in GOOD
    path = write_metafile(tmp_path, GOOD.replace(old, new))
    with pytest.raises(MetafileError, match='net_in1k') as error:
        load_metafile(path)
    assert message in str(error.value)
    assert str(path) in str(error.value)


def test_a_wrong_parameter_count_is_reported():
    entry = MODELS['resnet50_8xb32_in1k']
    wrong = torchvision.models.resnet34()  # 21.8 M: off by both publishers' figures
    errors = check_parameters(entry, wrong)
    assert len(errors) == 2
    assert 'torchvision publishes 25,557,032' in errors[0]
    assert 'mmpretrain publishes 25,560,000' in errors[1]


def test_duplicate_model_names_are_refused(tmp_path):
    write_metafile(tmp_path, GOOD)
    other = tmp_path / 'configs' / 'fam2'
    other.mkdir()
    (other / 'metafile.yml').write_text('Collections:\n- Name: Net\nModels:\n' + GOOD)
    with pytest.raises(MetafileError, match='is also in'):
        load_all_metafiles(tmp_path / 'configs')
