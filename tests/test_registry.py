"""zoo components are reachable from other scopes, as a user's mmdet project would reach them."""
import textwrap

import pytest

from tests.conftest import run_tool


def test_zoo_scope_and_lazy_locations():
    from zoo.registry import DATASETS, HOOKS, METRICS, MODELS, TRANSFORMS
    for registry in (MODELS, DATASETS, TRANSFORMS, METRICS, HOOKS):
        assert registry.scope == 'zoo'
        assert registry.parent is not None and registry.parent.scope == 'mmengine'
    assert MODELS.get('ResNet').__module__ == 'zoo.models.backbones.resnet'
    # MMEngine's own components come through the parent registries.
    assert HOOKS.get('IterTimerHook').__module__.startswith('mmengine')


def test_unknown_type_names_the_type_and_registry():
    from zoo.registry import MODELS
    with pytest.raises(KeyError, match='ResNot.*not in the zoo::model registry'):
        MODELS.build(dict(type='ResNot'))


@pytest.mark.parametrize(
    'cfg, argument, supported',
    [
        (dict(type='ResNet', depth=18, with_cp=False, dcn_v3=True), 'dcn_v3', "'stage_with_dcn'"),
        (dict(
            type='StackedLinearClsHead',
            num_classes=3,
            in_channels=4,
            mid_channels=[2],
            use_sigmoid=True), 'use_sigmoid', "'topk'"),  # a **kwargs head: the parent refuses
        (dict(type='IoULoss', lineer=True), 'lineer', "'linear'"),
        (dict(type='FPN', in_channels=[8], out_channels=8, num_outs=1,
              fusion='sum'), 'fusion', "'upsample_cfg'"),
    ])
def test_unknown_argument_names_component_argument_and_what_zoo_supports(cfg, argument, supported):
    from zoo.registry import MODELS
    name = cfg['type']
    with pytest.raises(TypeError) as error:
        MODELS.build(cfg)
    message = str(error.value)
    assert f"{name} (zoo) does not support the argument(s) ['{argument}']" in message
    assert f"zoo's {name} takes [" in message and supported in message


def test_unknown_argument_refused_when_mmdet_builds_zoo_part():
    """mmdet's registry builds ``zoo.X`` with its own build function: the class checks."""
    import mmdet.models  # noqa: F401
    from mmdet.registry import MODELS
    from mmengine.registry import DefaultScope

    import zoo  # noqa: F401
    with DefaultScope.overwrite_default_scope('mmdet'), pytest.raises(
            TypeError, match=r"SmoothL1Loss \(zoo\) does not support the argument\(s\) \['bta'\]"):
        MODELS.build(dict(type='zoo.SmoothL1Loss', bta=1.0))


def test_mmdet_config_reaches_zoo_backbone_via_custom_imports(tmp_path):
    """A fresh interpreter with an mmdet-scoped config: only custom_imports brings zoo in."""
    config = tmp_path / 'retinanet_zoo-r18.py'
    config.write_text(
        textwrap.dedent('''
        default_scope = 'mmdet'
        custom_imports = dict(imports=['zoo'], allow_failed_imports=False)
        model = dict(
            type='RetinaNet',
            data_preprocessor=dict(type='DetDataPreprocessor', mean=[0., 0., 0.],
                                   std=[1., 1., 1.], pad_size_divisor=32),
            backbone=dict(type='zoo.ResNet', depth=18, out_indices=(1, 2, 3)),
            neck=dict(type='FPN', in_channels=[128, 256, 512], out_channels=64,
                      start_level=0, add_extra_convs='on_input', num_outs=5),
            bbox_head=dict(
                type='RetinaHead', num_classes=3, in_channels=64, feat_channels=64,
                anchor_generator=dict(type='AnchorGenerator', octave_base_scale=4,
                                      scales_per_octave=3, ratios=[0.5, 1.0, 2.0],
                                      strides=[8, 16, 32, 64, 128]),
                bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[.0, .0, .0, .0],
                                target_stds=[1.0, 1.0, 1.0, 1.0]),
                loss_cls=dict(type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25,
                              loss_weight=1.0),
                loss_bbox=dict(type='L1Loss', loss_weight=1.0)))
    '''))
    script = tmp_path / 'build.py'
    script.write_text(
        textwrap.dedent(f'''
        import sys
        import torch
        from mmengine.config import Config
        assert 'zoo' not in sys.modules
        cfg = Config.fromfile({str(config)!r})   # runs custom_imports
        assert 'zoo' in sys.modules
        from mmdet.utils import register_all_modules
        register_all_modules()                   # default scope 'mmdet'
        from mmdet.registry import MODELS
        detector = MODELS.build(cfg.model)
        assert type(detector.backbone).__module__ == 'zoo.models.backbones.resnet', \\
            type(detector.backbone)
        outs = detector(torch.rand(1, 3, 64, 64), mode='tensor')
        cls_scores, bbox_preds = outs
        assert [s.shape[1] for s in cls_scores] == [27] * 5
        print('built', type(detector).__name__, 'with', type(detector.backbone).__module__)
    '''))
    result = run_tool(str(script))
    assert 'built RetinaNet with zoo.models.backbones.resnet' in result.stdout
