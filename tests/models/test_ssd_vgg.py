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


@pytest.mark.parametrize(
    'args',
    [
        dict(
            depth=16,
            with_last_pool=False,
            ceil_mode=True,
            out_indices=(3, 4),
            out_feature_indices=(22, 34)),  # mmdet's SSD300 backbone, every argument
        dict(depth=16, with_last_pool=True, out_feature_indices=(15, 22, 35)),
        dict(depth=11, out_feature_indices=(14, 24)),
    ])
def test_equals_mmdet_ssdvgg_keys_weights_outputs(args):
    theirs = MMDetSSDVGG(**args)
    theirs.eval()  # (mmcv's VGG.train returns None)
    randomise(theirs)
    ours = MODELS.build(dict(type='SSDVGG', **args)).eval()

    assert list(ours.state_dict()) == list(theirs.state_dict())  # features.<i>, in order
    assert count_parameters(ours) == count_parameters(theirs)
    ours.load_state_dict(theirs.state_dict(), strict=True)
    assert ours.out_feature_indices == args['out_feature_indices']

    # 67 px: every 2x2 pool meets an odd size, so ceil_mode matters (67, 34, 17, 9, 5)
    x = torch.randn(1, 3, 67, 67, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected, outs = theirs(x), ours(x)
    assert len(outs) == len(expected) == len(args['out_feature_indices'])
    for out, exp in zip(outs, expected):
        torch.testing.assert_close(out, exp, atol=1e-6, rtol=1e-5)


def test_default_outputs_are_conv4_3_and_fc7():
    ours = SSDVGG(depth=16)
    assert ours.out_feature_indices == (22, 34) and ours.out_channels == (512, 1024)
    assert count_parameters(ours) == 20_483_904
    assert isinstance(ours.features[22], torch.nn.ReLU) and ours.features[21].out_channels == 512


def test_out_feature_index_inside_a_stage_is_refused():
    with pytest.raises(ValueError, match=r'out_feature_indices \[21\] do not end a stage'):
        SSDVGG(depth=16, out_feature_indices=(21, 34))


def test_deprecated_mmdet_arguments_warn_as_mmdet(tmp_path):
    with pytest.warns(UserWarning, match='input_size is deprecated'):
        SSDVGG(depth=11, input_size=300)
    with pytest.warns(UserWarning, match='l2_norm_scale is deprecated'):
        SSDVGG(depth=11, l2_norm_scale=20.)
    with pytest.warns(UserWarning, match='pretrained is deprecated'):
        model = SSDVGG(depth=11, pretrained=str(tmp_path / 'x.pth'))
    assert model.init_cfg == dict(type='Pretrained', checkpoint=str(tmp_path / 'x.pth'))


def test_mmdet_keys_load_through_init_cfg(tmp_path):
    """mmdet's SSD300 config initialises its backbone from a `features.{i}` checkpoint
    (open-mmlab://vgg16_caffe): a file with those keys initialises zoo's SSDVGG as well."""
    theirs = MMDetSSDVGG(depth=11)
    randomise(theirs)
    path = tmp_path / 'ssd_vgg11.pth'
    torch.save(theirs.state_dict(), path)
    ours = SSDVGG(depth=11, init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    ours.init_weights()
    state = ours.state_dict()
    for key, value in theirs.state_dict().items():
        assert torch.equal(state[key], value), key


def test_norm_layout_has_a_norm_after_each_conv():
    model = SSDVGG(depth=11, norm_cfg=dict(type='BN'))
    kinds = [type(m).__name__ for m in model.features[:4]]
    assert kinds == ['Conv2d', 'BatchNorm2d', 'ReLU', 'MaxPool2d']
    assert model.out_channels == (512, 1024)


def test_ssd300_shapes_on_the_meta_device():
    """SSD's 300 px geometry without computing anything: conv4_3 38x38, fc7 19x19."""
    with torch.device('meta'):
        x = torch.empty(1, 3, 300, 300)
        outs = SSDVGG(depth=16)(x)
        sizes = [o.shape[-1] for o in SSDVGG(depth=16, out_indices=range(6))(x)]
    assert [tuple(o.shape) for o in outs] == [(1, 512, 38, 38), (1, 1024, 19, 19)]
    assert sizes == [300, 150, 75, 38, 19, 19]


def test_replaces_ssdvgg_in_mmdet_ssd300_config():
    """mmdet's own backbone dict, renamed: the same detector, key for key."""
    cfg = Config.fromfile(MMDET_SSD300)
    assert cfg.model.backbone.type == 'SSDVGG'
    with DefaultScope.overwrite_default_scope('mmdet'):
        from mmdet.registry import MODELS as MMDET_MODELS
        from mmdet.utils import register_all_modules
        register_all_modules(init_default_scope=False)
        cfg.model.backbone.init_cfg = None
        theirs = MMDET_MODELS.build(cfg.model)
        cfg.model.backbone.type = 'zoo.SSDVGG'
        ours = MMDET_MODELS.build(cfg.model)
    assert isinstance(ours.backbone, SSDVGG)
    assert ours.backbone.out_channels == tuple(cfg.model.neck.in_channels)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict(theirs.state_dict(), strict=True)


def test_loads_a_zoo_vgg_classification_checkpoint(tmp_path):
    for norm_cfg in (None, dict(type='BN')):
        vgg = VGG(depth=11, norm_cfg=norm_cfg)
        randomise(vgg)
        path = tmp_path / 'vgg11.pth'
        torch.save({'state_dict': {f'backbone.{k}': v for k, v in vgg.state_dict().items()}}, path)
        model = SSDVGG(
            depth=11,
            norm_cfg=norm_cfg,
            init_cfg=dict(type='Pretrained', checkpoint=str(path), prefix='backbone.'))
        model.init_weights()
        state = model.state_dict()
        mapping = SSDVGG.vgg_key_mapping(11, with_norm=norm_cfg is not None)
        for key, value in vgg.state_dict().items():
            name, _, param = key.rpartition('.')
            assert torch.equal(state[f'{mapping[name]}.{param}'], value), key
        fc6 = model.layer6[1].weight  # the new layers were initialised, not left empty
        assert fc6.abs().sum() > 0


def test_bad_depth_is_named():
    with pytest.raises(ValueError, match=r'depth 15 is not one of \[11, 13, 16, 19\]'):
        SSDVGG(depth=15)
