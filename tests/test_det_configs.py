"""Every detection config (scope mmdet, zoo parts through custom_imports) builds, runs a
training step and predicts, on real images through its own data pipeline, on the CPU."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import OptimWrapper
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

from tests.conftest import REPO_ROOT

DET_CONFIGS = sorted(
    p for p in (REPO_ROOT / 'configs').rglob('*.py')
    if '_base_' not in p.parts and Config.fromfile(p).get('default_scope') == 'mmdet')


def config_id(path: Path) -> str:
    return str(path.relative_to(REPO_ROOT / 'configs'))


@pytest.fixture(scope='module')
def shapes(tmp_path_factory) -> Path:
    from zoo.det.synthetic import make_shapes_dataset
    out = tmp_path_factory.mktemp('det') / 'shapes'
    make_shapes_dataset(str(out), num_train=2, num_val=2, img_size=128, seed=0)
    return out / 'coco'


def find_pipeline(dataset: dict) -> list:
    """The pipeline of a data set config, looking through wrappers (RepeatDataset, Concat...)."""
    if 'pipeline' in dataset:
        return dataset['pipeline']
    if 'dataset' in dataset:
        return find_pipeline(dataset['dataset'])
    return find_pipeline(dataset['datasets'][0])


def shrink(value, max_side: int):
    """A scale (w, h), or a list of them, shrunk so that no side exceeds ``max_side``."""
    if isinstance(value, (list, tuple)) and value and isinstance(value[0], (list, tuple)):
        return [shrink(v, max_side) for v in value]
    factor = min(1.0, max_side / max(value))
    return tuple(max(1, int(v * factor)) for v in value)


def shrink_pipeline(pipeline, max_side: int = 320):
    """The config's own transforms, with image scales above ``max_side`` brought down to it:
    the same code paths at a tenth of the CPU time of 1333x800."""
    if isinstance(pipeline, list):
        return [shrink_pipeline(t, max_side) for t in pipeline]
    if not isinstance(pipeline, dict):
        return pipeline
    out = {}
    for key, value in pipeline.items():
        if key in ('scale', 'scales', 'crop_size') and isinstance(value, (list, tuple)):
            out[key] = shrink(value, max_side)
        else:
            out[key] = shrink_pipeline(value, max_side)
    return out


def shapes_loader(cfg_loader: dict, coco_root: Path, split: str):
    from zoo.det.synthetic import SHAPE_CLASSES
    dataset = dict(
        type='CocoDataset',
        data_root=str(coco_root),
        metainfo=dict(classes=SHAPE_CLASSES),
        ann_file=f'annotations/instances_{split}.json',
        data_prefix=dict(img=f'{split}/'),
        pipeline=shrink_pipeline(find_pipeline(cfg_loader['dataset'])),
        test_mode=split == 'val')
    return Runner.build_dataloader(
        dict(
            batch_size=2,
            num_workers=0,
            dataset=dataset,
            sampler=dict(type='DefaultSampler', shuffle=False),
            collate_fn=cfg_loader.get('collate_fn', dict(type='pseudo_collate'))))


def test_configs_are_found():
    names = {config_id(p) for p in DET_CONFIGS}
    assert {
        'faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py', 'retinanet/retinanet_r50_fpn_1x_coco.py',
        'ssd/ssd300_coco.py', 'detr/detr_r50_8xb2-150e_coco.py'
    } <= names


def build_detector(cfg: Config) -> torch.nn.Module:
    """The config's model, built in mmdet's scope, without the backbone's pretrained weights
    (the user's to download; everything else is the config's own)."""
    from mmdet.registry import MODELS
    init_default_scope('mmdet')
    cfg.model.backbone.pop('init_cfg', None)
    return MODELS.build(cfg.model)


@pytest.mark.parametrize('path', DET_CONFIGS, ids=config_id)
def test_config_trains_a_step_and_predicts(path, shapes):
    cfg = Config.fromfile(path)  # custom_imports bring zoo in
    torch.manual_seed(0)
    model = build_detector(cfg)
    assert type(model.backbone).__module__.startswith('zoo.'), type(model.backbone)

    model.train()
    optim_wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=1e-4))
    batch = next(iter(shapes_loader(cfg.train_dataloader, shapes, 'train')))
    losses = model.train_step(batch, optim_wrapper)
    assert losses and all(torch.isfinite(v).all() for v in losses.values()), losses

    model.eval()
    batch = next(iter(shapes_loader(cfg.val_dataloader, shapes, 'val')))
    with torch.no_grad():
        predictions = model.val_step(batch)
    assert len(predictions) == 2
    for sample in predictions:
        boxes = sample.pred_instances.bboxes
        assert boxes.ndim == 2 and boxes.shape[1] == 4
        assert len(sample.pred_instances.scores) == len(sample.pred_instances.labels) == len(boxes)


@pytest.mark.parametrize('path', DET_CONFIGS, ids=config_id)
def test_feature_strides_match_the_prior_generators(path):
    """Each head's priors are laid out for the strides of the feature maps it gets: a neck
    that starts at the wrong backbone level (mmdet's FPN start_level=1 fed C3-C5) would put
    every anchor at half its image position and still train, badly."""
    model = build_detector(Config.fromfile(path)).eval()
    heads = [
        head for head in (getattr(model, 'rpn_head', None), getattr(model, 'bbox_head', None))
        if hasattr(head, 'prior_generator')
    ]
    if not heads:
        pytest.skip(f'{type(model).__name__} places no priors (DETR, YOLOv1)')
    size = 320
    with torch.no_grad():
        feats = model.extract_feat(torch.zeros(1, 3, size, size))
    for head in heads:
        expected = [
            stride[0] if isinstance(stride, tuple) else stride
            for stride in head.prior_generator.strides
        ]
        actual = [size / feat.shape[-1] for feat in feats]
        assert len(actual) == len(expected), (type(head).__name__, actual, expected)
        for got, want in zip(actual, expected):
            # SSD's last strides (100, 300) are made for 300 px, hence a tolerance below 2x
            assert 0.75 < got / want < 1.34, f'{type(head).__name__}: feature strides ' \
                f'{actual} vs prior strides {expected}'
