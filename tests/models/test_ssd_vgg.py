"""zoo.SSDVGG replaces mmdet's SSDVGG: same outputs given converted weights, same shapes and
parameter count inside mmdet's own SSD300 config."""
import os.path as osp

import mmdet
import pytest
import torch
from mmdet.models.backbones import SSDVGG as MMDetSSDVGG
from mmengine.config import Config
from mmengine.registry import DefaultScope

import zoo.models  # noqa: F401  (registers every component)
from zoo.models.backbones import SSDVGG, VGG, count_parameters
from zoo.registry import MODELS

MMDET_SSD300 = osp.join(osp.dirname(mmdet.__file__), '.mim', 'configs', 'ssd', 'ssd300_coco.py')


def randomise(module: torch.nn.Module, seed: int = 0) -> None:
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for param in module.parameters():
            param.copy_(torch.randn(param.shape, generator=generator) * 0.05)


def test_equals_mmdet_ssdvgg_given_converted_weights():
    theirs = MMDetSSDVGG(
        depth=16,
        with_last_pool=False,
        ceil_mode=True,
        out_indices=(3, 4),
        out_feature_indices=(22, 34))
    theirs.eval()  # mmcv's VGG.train returns None
    randomise(theirs)
    ours = MODELS.build(dict(type='SSDVGG', depth=16)).eval()

    assert count_parameters(ours) == count_parameters(theirs) == 20_483_904
    ours.load_state_dict(theirs.state_dict(), strict=True)  # features.{i} keys, renamed on load

    # 67 px: every 2x2 pool meets an odd size, so ceil_mode matters (67, 34, 17, 9, 5)
    x = torch.randn(1, 3, 67, 67, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected, outs = theirs(x), ours(x)
    assert [tuple(o.shape) for o in outs] == [(1, 512, 9, 9), (1, 1024, 5, 5)]
    for out, exp in zip(outs, expected):
        assert out.shape == exp.shape
        torch.testing.assert_close(out, exp, atol=1e-6, rtol=1e-5)


def test_key_mapping_points_at_mmdet_output_layers():
    mapping = SSDVGG.mmdet_key_mapping(16)
    # mmdet reads its outputs after the ReLUs at features.22 and .34, i.e. after these convs
    assert mapping['features.21'] == 'layer4.2.0'  # conv4_3
    assert mapping['features.33'] == 'layer6.fc7.0'
    assert mapping['features.31'] == 'layer6.fc6.0'
    with torch.device('meta'):  # the layers' names, without allocating their weights
        for depth in SSDVGG.arch_settings:
            ours, theirs = SSDVGG(depth=depth), MMDetSSDVGG(depth=depth)
            mapping = SSDVGG.mmdet_key_mapping(depth)
            assert set(mapping) == {k.rpartition('.')[0] for k in theirs.state_dict()}
            assert set(mapping.values()) == {k.rpartition('.')[0] for k in ours.state_dict()}


def test_mmdet_keys_load_through_init_cfg(tmp_path):
    """mmdet's SSD300 config initialises its backbone from a `features.{i}` checkpoint
    (open-mmlab://vgg16_caffe): a file with those keys initialises zoo's SSDVGG as well."""
    theirs = MMDetSSDVGG(depth=11)
    randomise(theirs)
    path = tmp_path / 'ssd_vgg11.pth'
    torch.save(theirs.state_dict(), path)
    ours = SSDVGG(depth=11, init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    ours.init_weights()
    mapping = SSDVGG.mmdet_key_mapping(11)
    state = ours.state_dict()
    for key, value in theirs.state_dict().items():
        module, _, param = key.rpartition('.')
        assert torch.equal(state[f'{mapping[module]}.{param}'], value), key


def test_norm_layouts_are_not_renamed():
    """With BatchNorm the `features.{i}` numbering differs: such keys stay unexpected."""
    model = SSDVGG(depth=11, norm_cfg=dict(type='BN'))
    result = model.load_state_dict({'features.0.weight': torch.zeros(64, 3, 3, 3)}, strict=False)
    assert result.unexpected_keys == ['features.0.weight']


def test_ssd300_shapes_on_the_meta_device():
    """SSD's 300 px geometry without computing anything: conv4_3 38x38, fc7 19x19."""
    with torch.device('meta'):
        x = torch.empty(1, 3, 300, 300)
        outs = SSDVGG(depth=16)(x)
        sizes = [o.shape[-1] for o in SSDVGG(depth=16, out_indices=range(6))(x)]
    assert [tuple(o.shape) for o in outs] == [(1, 512, 38, 38), (1, 1024, 19, 19)]
    assert sizes == [300, 150, 75, 38, 19, 19]


def test_replaces_ssdvgg_in_mmdet_ssd300_config():
    cfg = Config.fromfile(MMDET_SSD300)
    assert cfg.model.backbone.type == 'SSDVGG'
    with DefaultScope.overwrite_default_scope('mmdet'):
        from mmdet.registry import MODELS as MMDET_MODELS
        from mmdet.utils import register_all_modules
        register_all_modules(init_default_scope=False)
        theirs = MMDET_MODELS.build(cfg.model)
        cfg.model.backbone = dict(type='zoo.SSDVGG', depth=16)
        ours = MMDET_MODELS.build(cfg.model)
    assert isinstance(ours.backbone, SSDVGG)
    assert ours.backbone.out_channels == tuple(cfg.model.neck.in_channels)
    assert count_parameters(ours) == count_parameters(theirs)
    assert count_parameters(ours.backbone) == count_parameters(theirs.backbone)
    # an mmdet SSD300 checkpoint loads into the detector with zoo's backbone, key for key
    ours.load_state_dict(theirs.state_dict(), strict=True)
    conv4_3 = ours.backbone.get_submodule('layer4.2.0')  # layer4[2] would be its 2nd conv
    assert torch.equal(conv4_3.weight, theirs.backbone.features[21].weight)
    assert torch.equal(ours.backbone.layer6.fc7[0].bias, theirs.backbone.features[33].bias)


def test_loads_a_zoo_vgg_classification_checkpoint(tmp_path):
    vgg = VGG(depth=11)
    randomise(vgg)
    path = tmp_path / 'vgg11.pth'
    torch.save({'state_dict': {f'backbone.{k}': v for k, v in vgg.state_dict().items()}}, path)

    model = SSDVGG(
        depth=11, init_cfg=dict(type='Pretrained', checkpoint=str(path), prefix='backbone.'))
    model.init_weights()
    state = model.state_dict()
    mapping = SSDVGG.vgg_key_mapping(11)
    for key, value in vgg.state_dict().items():
        name, _, param = key.rpartition('.')
        assert torch.equal(state[f'{mapping[name]}.{param}'], value), key
    assert not torch.equal(
        state['layer6.fc6.0.weight'], torch.zeros_like(
            state['layer6.fc6.0.weight']))  # the new layers were initialised, not left empty


def test_bad_depth_is_named():
    with pytest.raises(ValueError, match=r'depth 15 is not one of \[11, 13, 16, 19\]'):
        SSDVGG(depth=15)
    with pytest.raises(ValueError, match='depth 15'):
        SSDVGG.mmdet_key_mapping(15)
