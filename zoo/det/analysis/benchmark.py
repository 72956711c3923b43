"""Detection benches: a detector config (default scope mmdet) with zoo's parts, beside the same
config with mmdet's own backbone and neck in place of zoo's (``type='zoo.ResNet'`` ->
``'mmdet.ResNet'``, same arguments), and beside torchvision's R-50 FPN detector of the same kind
(Faster R-CNN, RetinaNet) for orientation. Each training step computes the detector's full
loss on random images with :data:`BOXES_PER_IMAGE` random boxes each; inference predicts
boxes. The rounds and the table are :mod:`zoo.analysis.benchmark`'s.
"""
import copy
from typing import List, Optional, Tuple

import torch
import torchvision
from mmengine.config import Config
from mmengine.registry import init_default_scope

from zoo.analysis.benchmark import Bench, BenchSettings, Ratio, variant_name, with_overrides

# torchvision's R-50 FPN detector of the same kind, timed for orientation
DETECTION_COUNTERPARTS = {
    'FasterRCNN': 'fasterrcnn_resnet50_fpn',
    'RetinaNet': 'retinanet_resnet50_fpn'
}
BOXES_PER_IMAGE = 5


def with_mmdet_parts(model_cfg: dict) -> Optional[dict]:
    """``model_cfg`` with its zoo backbone and neck replaced by mmdet's class of the same name
    and the same arguments (zoo's take mmdet's), or None if it has no zoo backbone or neck."""
    twin = copy.deepcopy(model_cfg)
    swapped = False
    for key in ('backbone', 'neck'):
        part = twin.get(key)
        if isinstance(part, dict) and part.get('type', '').startswith('zoo.'):
            part['type'] = 'mmdet.' + part['type'][len('zoo.'):]
            swapped = True
    return twin if swapped else None


def detection_counterpart(model_cfg: dict) -> Optional[str]:
    """torchvision's detector of the same kind (R-50 FPN), for orientation, or None."""
    backbone = model_cfg.get('backbone', {})
    if backbone.get('depth') != 50 or not model_cfg.get('neck', {}).get('type', '').endswith('FPN'):
        return None
    return DETECTION_COUNTERPARTS.get(model_cfg['type'].split('.')[-1])


def detection_num_classes(model_cfg: dict) -> int:
    """The number of classes of a detector config's (first) box head."""
    for key in ('bbox_head', 'roi_head'):
        head = model_cfg.get(key)
        if head is not None:
            return head['bbox_head']['num_classes'] if key == 'roi_head' else head['num_classes']
    raise KeyError('the detector config has neither bbox_head nor roi_head')


def detection_batch(settings: BenchSettings, num_classes: int):
    """Random normalised images with ``BOXES_PER_IMAGE`` random boxes each, as mmdet's
    ``(inputs, data_samples)`` and as torchvision's ``(images, targets)``."""
    from mmdet.structures import DetDataSample
    from mmengine.structures import InstanceData
    generator = torch.Generator().manual_seed(0)
    size, device = settings.shape, settings.device
    inputs = torch.randn(settings.batch_size, 3, size, size, generator=generator)
    samples, targets = [], []
    for _ in range(settings.batch_size):
        corner = torch.rand(BOXES_PER_IMAGE, 2, generator=generator) * size * 0.6
        extent = (0.1 + 0.3 * torch.rand(BOXES_PER_IMAGE, 2, generator=generator)) * size
        boxes = torch.cat([corner, corner + extent], dim=1).clamp(max=size)
        labels = torch.randint(0, num_classes, (BOXES_PER_IMAGE, ), generator=generator)
        shape = (size, size)
        sample = DetDataSample(
            metainfo=dict(
                img_shape=shape,
                ori_shape=shape,
                pad_shape=shape,
                batch_input_shape=shape,
                scale_factor=(1., 1.)))
        sample.gt_instances = InstanceData(bboxes=boxes, labels=labels)
        samples.append(sample.to(device))
        # torchvision's detectors keep label 0 for the background
        targets.append(dict(boxes=boxes.to(device), labels=labels.to(device) + 1))
    return inputs.to(device), samples, targets


def detection_benches(cfg: Config,
                      settings: BenchSettings,
                      variant: Optional[dict] = None) -> Tuple[List[Bench], List[Ratio]]:
    """The detector with zoo parts, the ``variant`` one, the same config with mmdet's own
    backbone and neck, and torchvision's R-50 FPN detector of the same kind, on one random
    batch with boxes."""
    from mmdet.registry import MODELS
    init_default_scope('mmdet')
    if settings.shape % 32:
        raise ValueError(f'--shape {settings.shape}: detection inputs must be a multiple of 32')
    models = [('zoo', MODELS.build(cfg.model))]
    if variant:
        models.append((variant_name(variant), MODELS.build(with_overrides(cfg, variant).model)))
    mmdet_cfg = with_mmdet_parts(cfg.model)
    if mmdet_cfg is None:
        raise ValueError(f'{cfg.filename}: the model has no zoo backbone or neck to compare')
    models.append(('mmdet parts', MODELS.build(mmdet_cfg)))
    num_classes = detection_num_classes(cfg.model)
    tv_name = detection_counterpart(cfg.model)
    if tv_name is not None:
        # its own transform neither resizes nor normalises differently: inputs are shape x shape
        models.append((f'torchvision {tv_name}',
                       torchvision.models.get_model(
                           tv_name,
                           weights=None,
                           weights_backbone=None,
                           num_classes=num_classes + 1,
                           min_size=settings.shape,
                           max_size=settings.shape)))
    inputs, samples, targets = detection_batch(settings, num_classes)
    inputs = inputs.contiguous(memory_format=settings.memory_format)
    images = list(inputs)

    benches = []
    for name, model in models:
        model = model.to(settings.device, memory_format=settings.memory_format)
        if name.startswith('torchvision'):
            loss = lambda m=model: sum(m(images, targets).values())  # noqa: E731
            infer = lambda m=model: m(images)  # noqa: E731
        else:
            loss = lambda m=model: m.parse_losses(m.loss(inputs, samples))[0]  # noqa: E731
            infer = lambda m=model: m.predict(inputs, samples)  # noqa: E731
        benches.append(
            Bench(name, model, loss, infer, settings.batch_size, settings.device, settings.amp))
    mmdet_index = len(models) - 1 - (tv_name is not None)
    ratios = [('zoo / mmdet parts', 0, mmdet_index)]
    if tv_name is not None:
        ratios.append(('zoo / torchvision', 0, len(benches) - 1))
    if variant:
        ratios.append(('variant / zoo', 1, 0))
    return benches, ratios
