"""Transfer learning: a classifier checkpoint into a model with another head, in the three ways
(replace the head, drop its keys, load what fits), with a table of what was not loaded."""
import pytest
import torch
import torchvision
from mmengine.registry import init_default_scope

from zoo.models.utils import PretrainedInit, load_pretrained
from zoo.registry import MODELS, WEIGHT_INITIALIZERS

TORCHVISION_TO_ZOO = [(r'^fc\.', 'head.fc.'), (r'^(?!head\.)', 'backbone.')]


@pytest.fixture(autouse=True)
def zoo_scope():
    init_default_scope('zoo')


def classifier(num_classes: int, init_cfg=None, **backbone):
    return MODELS.build(
        dict(
            type='ImageClassifier',
            init_cfg=init_cfg,
            backbone=dict(type='ResNet', depth=18, **backbone),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(type='LinearClsHead', num_classes=num_classes, in_channels=512)))


@pytest.fixture
def source(tmp_path):
    """A 10-class classifier checkpoint written as the Runner writes one."""
    torch.manual_seed(1)
    model = classifier(10)
    model.init_weights()
    path = tmp_path / 'source.pth'
    torch.save({'meta': {}, 'state_dict': model.state_dict()}, path)
    return path, model.state_dict()


def copy_of(model) -> dict:
    return {k: v.clone() for k, v in model.state_dict().items()}


def assert_loaded(model, weights: dict, keys) -> None:
    state = model.state_dict()
    for key in keys:
        torch.testing.assert_close(state[key], weights[key], rtol=0, atol=0, msg=key)


@pytest.mark.parametrize('mode', ['replace_head', 'drop_head', 'match_shapes'])
def test_every_mode_loads_the_backbone_and_keeps_the_new_head(source, mode):
    path, weights = source
    model = classifier(5)
    before = copy_of(model)
    report = load_pretrained(model, str(path), mode=mode)

    backbone = [k for k in weights if k.startswith('backbone.')]
    assert sorted(report.loaded) == sorted(backbone)
    assert_loaded(model, weights, backbone)
    assert_loaded(model, before, ['head.fc.weight', 'head.fc.bias'])
    assert report.complete == (mode != 'match_shapes')  # match_shapes knows no head
    if mode == 'match_shapes':
        assert report.mismatched == ['head.fc.weight', 'head.fc.bias']
        assert '| head.fc.weight | (10, 512)  | (5, 512) | shape differs: not loaded' \
            in report.table()
    else:
        assert report.dropped == report.new_head == ['head.fc.weight', 'head.fc.bias']
        assert '| head.fc.weight | (10, 512)  | (5, 512) | head: replaced by the new one |' \
            in report.table()


def test_a_head_of_the_same_shape_is_loaded_only_by_match_shapes(source):
    path, weights = source
    same_shape = classifier(10)
    load_pretrained(same_shape, str(path), mode='match_shapes')
    assert_loaded(same_shape, weights, ['head.fc.weight'])

    replaced = classifier(10)
    before = copy_of(replaced)
    load_pretrained(replaced, str(path), mode='drop_head')
    assert_loaded(replaced, before, ['head.fc.weight'])


def test_replace_head_is_strict_outside_the_head(source):
    path, weights = source
    partial = {k: v for k, v in weights.items() if not k.startswith('backbone.layer4.1.')}
    with pytest.raises(ValueError, match='is not the same network') as error:
        load_pretrained(classifier(5), partial, mode='replace_head')
    assert 'backbone.layer4.1.conv1.weight' in str(error.value)
    assert 'not in the checkpoint: keeps its initialisation' in str(error.value)

    # drop_head and match_shapes load the rest and report the missing keys
    for mode in ('drop_head', 'match_shapes'):
        model = classifier(5)
        report = load_pretrained(model, partial, mode=mode)
        assert 'backbone.layer4.1.conv1.weight' in report.missing
        assert_loaded(model, weights, ['backbone.layer4.0.conv1.weight'])


def test_drop_head_refuses_a_shape_mismatch_that_match_shapes_skips(source):
    path, weights = source
    wide_stem = dict(weights, **{'backbone.conv1.weight': torch.zeros(64, 3, 3, 3)})
    with pytest.raises(ValueError, match='shapes of the given state dict differ') as error:
        load_pretrained(classifier(5), wide_stem, mode='drop_head')
    assert '| backbone.conv1.weight | (64, 3, 3, 3) | (64, 3, 7, 7) |' in str(error.value)

    model = classifier(5)
    report = load_pretrained(model, wide_stem, mode='match_shapes')
    assert 'backbone.conv1.weight' in report.mismatched
    assert_loaded(model, weights, ['backbone.layer1.0.conv1.weight'])


def test_torchvision_weights_with_revise_keys():
    torch.manual_seed(0)
    tv = torchvision.models.resnet18(num_classes=1000)
    model = classifier(5)
    report = load_pretrained(
        model, tv.state_dict(), mode='replace_head', revise_keys=TORCHVISION_TO_ZOO)
    assert report.complete and report.dropped == ['head.fc.weight', 'head.fc.bias']
    torch.testing.assert_close(
        model.backbone.layer3[1].conv2.weight, tv.layer3[1].conv2.weight, rtol=0, atol=0)


def test_prefix_loads_a_backbone_from_a_classifier_checkpoint(source):
    path, weights = source
    backbone = MODELS.build(dict(type='ResNet', depth=18))
    report = load_pretrained(backbone, str(path), prefix='backbone')
    assert report.complete and len(report.loaded) == len(backbone.state_dict())
    torch.testing.assert_close(backbone.conv1.weight, weights['backbone.conv1.weight'])


# ---------------------------------------------------------------- as an init_cfg
def test_pretrained_init_cfg_is_applied_after_the_submodules_own_init(source):
    path, weights = source
    assert WEIGHT_INITIALIZERS.get('Pretrained') is PretrainedInit  # zoo's, in zoo's scope
    model = classifier(
        5, init_cfg=dict(type='Pretrained', checkpoint=str(path), mode='replace_head'))
    model.init_weights()  # what the Runner calls
    assert_loaded(model, weights, [k for k in weights if k.startswith('backbone.')])
    assert model.head.fc.weight.shape == (5, 512)


def test_backbone_init_cfg_with_prefix_the_mmpretrain_way(source):
    path, weights = source
    model = MODELS.build(
        dict(
            type='ResNet',
            depth=18,
            init_cfg=dict(type='Pretrained', checkpoint=str(path), prefix='backbone.')))
    model.init_weights()
    torch.testing.assert_close(
        model.layer4[1].bn2.running_var,
        weights['backbone.layer4.1.bn2.running_var'],
        rtol=0,
        atol=0)


# ---------------------------------------------------------------- bad input
def test_checkpoint_matching_nothing_names_both_sides_keys():
    torch.manual_seed(0)
    tv = torchvision.models.resnet18()
    with pytest.raises(ValueError, match='none of its keys match ImageClassifier') as error:
        load_pretrained(classifier(5), tv.state_dict(), mode='match_shapes')
    message = str(error.value)
    assert 'conv1.weight, bn1.weight' in message and 'backbone.conv1.weight' in message
    assert 'revise_keys' in message


def test_unknown_mode_prefix_and_head_prefix_are_named(source):
    path, _ = source
    with pytest.raises(ValueError, match="mode must be one of .* got 'strict'"):
        PretrainedInit(checkpoint=str(path), mode='strict')
    with pytest.raises(ValueError, match="no key under prefix 'neck.'"):
        load_pretrained(classifier(5), str(path), prefix='neck.')
    with pytest.raises(ValueError, match="no key starting with head_prefix 'classifier.'"):
        load_pretrained(classifier(5), str(path), mode='drop_head', head_prefix='classifier.')


def test_missing_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='nowhere.pth'):
        load_pretrained(classifier(5), str(tmp_path / 'nowhere.pth'))


def test_match_shapes_lets_a_vit_resize_a_position_embedding_from_another_size():
    arch = dict(embed_dims=32, num_layers=2, num_heads=2, feedforward_channels=64)
    trained = MODELS.build(dict(type='VisionTransformer', arch=arch, img_size=64, patch_size=16))
    target = MODELS.build(dict(type='VisionTransformer', arch=arch, img_size=32, patch_size=16))
    assert trained.pos_embed.shape != target.pos_embed.shape
    report = load_pretrained(target, trained.state_dict(), mode='match_shapes')
    assert 'pos_embed' in report.loaded and not report.mismatched
    from zoo.models.layers import resize_pos_embed
    expected = resize_pos_embed(trained.pos_embed.detach(), (4, 4), (2, 2), target.interpolate_mode,
                                target.num_extra_tokens)
    torch.testing.assert_close(target.pos_embed.detach(), expected)
