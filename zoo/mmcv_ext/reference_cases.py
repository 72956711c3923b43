"""The cases on which zoo.mmcv_ext is compared with mmcv 2.1.0's compiled ops: fixed inputs,
the calls of mmcv.ops on them (and of mmdet's detectors), and the comparison of two records.

``tools/mmcv_ext_reference.py`` records them once with compiled mmcv (the fixture of
tests/ops/); tests/ops/ recomputes them on whatever ``mmcv._ext`` is installed, and
``tools/gpu_checks/mmcv_ext_cuda.py`` reuses the detector runs on CUDA. Both sides build
identical inputs because both call these functions. mmcv.ops and mmdet are imported inside the
functions, only when a case runs.
"""
import os.path as osp
from typing import Dict, List

import torch

Record = Dict[str, torch.Tensor]

# mmdet's own configs (mmdet/.mim/configs), one detector of each kind mmdet's ops serve
DETECTORS = {
    'faster_rcnn': 'faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py',
    'mask_rcnn': 'mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py',
    'retinanet': 'retinanet/retinanet_r50_fpn_1x_coco.py',
    'ssd300': 'ssd/ssd300_coco.py',
    'yolov3': 'yolo/yolov3_d53_8xb8-320-273e_coco.py',
    'detr': 'detr/detr_r50_8xb2-150e_coco.py',
}
IMAGE_SIZE = {'ssd300': 300}  # SSD300's six feature maps need its 300 px input
DEFAULT_IMAGE_SIZE = 96


def _generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def random_boxes(n: int, size: float, gen: torch.Generator, integer: bool = False):
    xy = torch.rand(n, 2, generator=gen) * size
    wh = torch.rand(n, 2, generator=gen) * size / 3 + 1
    boxes = torch.cat([xy, xy + wh], 1)
    return boxes.round() if integer else boxes


# ------------------------------------------------------------------------------------- nms
def nms_cases() -> List[Record]:
    """Random boxes, tied scores, and integer boxes whose IoU is exactly the threshold."""
    cases = []
    for seed in range(2):
        gen = _generator(seed)
        boxes = random_boxes(100, 50, gen)
        cases.append(dict(boxes=boxes, scores=torch.rand(100, generator=gen), threshold=0.5))
        tied = torch.randint(0, 4, (100, ), generator=gen).float() / 4  # four distinct values
        cases.append(dict(boxes=boxes, scores=tied, threshold=0.7))
        grid = random_boxes(100, 20, gen, integer=True)  # IoUs like 1/3, 1/2 occur exactly
        for threshold in (0.5, 1 / 3, 0.6):
            cases.append(
                dict(
                    boxes=grid,
                    scores=torch.randint(0, 3, (100, ), generator=gen).float(),
                    threshold=threshold))
    for case in cases:
        case['threshold'] = torch.tensor(case['threshold'], dtype=torch.float64)
    return cases


def run_nms(case: Record, offset: int = 0) -> torch.Tensor:
    from mmcv.ops import nms
    return nms(case['boxes'], case['scores'], float(case['threshold']), offset=offset)[1]


def run_batched_nms(case: Record) -> Record:
    from mmcv.ops import batched_nms
    idxs = torch.arange(len(case['scores'])) % 3
    dets, keep = batched_nms(case['boxes'], case['scores'], idxs,
                             dict(type='nms', iou_threshold=float(case['threshold'])))
    return dict(dets=dets, keep=keep)


def run_soft_nms(case: Record, method: str) -> Record:
    from mmcv.ops import soft_nms
    dets, keep = soft_nms(
        case['boxes'],
        case['scores'],
        float(case['threshold']),
        sigma=0.5,
        min_score=0.05,
        method=method)
    return dict(dets=dets, keep=keep)


def run_nms_match(case: Record) -> torch.Tensor:
    """Groups flattened: [group length, members..., group length, members...]."""
    from mmcv.ops import nms_match
    groups = nms_match(
        torch.cat([case['boxes'], case['scores'][:, None]], 1), float(case['threshold']))
    return torch.cat([torch.cat([g.new_tensor([len(g)]), g]) for g in groups])


def run_bbox_overlaps(seed: int) -> Record:
    from mmcv.ops import bbox_overlaps
    gen = _generator(100 + seed)
    a, b = random_boxes(30, 40, gen), random_boxes(30, 40, gen)
    out = {}
    for mode in ('iou', 'iof'):
        for aligned in (False, True):
            for offset in (0, 1):
                out[f'{mode}_{aligned}_{offset}'] = bbox_overlaps(a, b, mode, aligned, offset)
    return out


# ------------------------------------------------------------------------------- RoI ops
def roi_inputs(seed: int = 0) -> Record:
    gen = _generator(200 + seed)
    feats = torch.randn(2, 3, 12, 15, generator=gen)
    boxes = random_boxes(10, 28, gen)
    boxes[0] = torch.tensor([-4., -3., 10., 7.])  # partly outside the feature map
    boxes[1] = torch.tensor([5., 5., 5.5, 5.25])  # smaller than a bin
    rois = torch.cat([torch.arange(10)[:, None].float() % 2, boxes], 1)
    grad = torch.randn(10, 3, 4, 4, generator=gen)
    return dict(feats=feats, rois=rois, grad=grad)


ROI_ALIGN_SETTINGS = [(aligned, ratio) for aligned in (True, False) for ratio in (0, 2)]


def run_roi_align(inputs: Record,
                  aligned: bool,
                  sampling_ratio: int,
                  pool_mode: str = 'avg') -> Record:
    from mmcv.ops import roi_align
    feats = inputs['feats'].clone().requires_grad_()
    out = roi_align(feats, inputs['rois'], (4, 4), 0.5, sampling_ratio, pool_mode, aligned)
    out.backward(inputs['grad'])
    return dict(out=out.detach(), grad=feats.grad)


def run_roi_pool(inputs: Record) -> Record:
    from mmcv.ops import roi_pool
    feats = inputs['feats'].clone().requires_grad_()
    out = roi_pool(feats, inputs['rois'], (4, 4), 0.5)
    out.backward(inputs['grad'])
    return dict(out=out.detach(), grad=feats.grad)


# ---------------------------------------------------------------------------- deform conv
DEFORM_SETTINGS = [  # (stride, padding, dilation, groups, deform_groups)
    (1, 1, 1, 1, 1), (2, 1, 1, 2, 2), (1, 2, 2, 1, 2)
]


def deform_inputs(setting, modulated: bool, seed: int = 0) -> Record:
    stride, padding, dilation, groups, deform_groups = setting
    gen = _generator(300 + seed)
    x = torch.randn(2, 4, 7, 7, generator=gen)
    weight = torch.randn(6, 4 // groups, 3, 3, generator=gen) * 0.3
    out_size = (7 + 2 * padding - dilation * 2 - 1) // stride + 1
    offset = torch.randn(2, deform_groups * 18, out_size, out_size, generator=gen) * 1.5
    inputs = dict(
        x=x,
        weight=weight,
        offset=offset,
        grad=torch.randn(2, 6, out_size, out_size, generator=gen))
    if modulated:
        inputs['mask'] = torch.rand(2, deform_groups * 9, out_size, out_size, generator=gen)
        inputs['bias'] = torch.randn(6, generator=gen)
    return inputs


def run_deform_conv(inputs: Record, setting) -> Record:
    from mmcv.ops import deform_conv2d, modulated_deform_conv2d
    stride, padding, dilation, groups, deform_groups = setting
    leaves = {k: v.clone().requires_grad_() for k, v in inputs.items() if k != 'grad'}
    if 'mask' in leaves:
        out = modulated_deform_conv2d(leaves['x'], leaves['offset'], leaves['mask'],
                                      leaves['weight'], leaves['bias'], stride, padding, dilation,
                                      groups, deform_groups)
    else:
        out = deform_conv2d(leaves['x'], leaves['offset'], leaves['weight'], stride, padding,
                            dilation, groups, deform_groups)
    out.backward(inputs['grad'])
    return dict(out=out.detach(), **{f'grad_{k}': v.grad for k, v in leaves.items()})


# ------------------------------------------------------------------------------ detectors
def detector_config(name: str):
    from mmengine.config import Config
    from mmengine.utils import get_installed_path
    cfg = Config.fromfile(osp.join(get_installed_path('mmdet'), '.mim', 'configs', DETECTORS[name]))
    cfg.model.backbone.init_cfg = None  # nothing is downloaded: random, seeded weights
    test_cfg = cfg.model.test_cfg
    for key in ('rcnn', None):  # keep low-scoring boxes so that NMS has work to do
        part = test_cfg.get(key) if key else test_cfg
        if part is not None and 'score_thr' in part:
            part.score_thr = 0.0
    return cfg


def detector_batch(name: str, device: str = 'cpu') -> dict:
    from mmdet.structures import DetDataSample
    from mmdet.structures.mask import BitmapMasks
    from mmengine.structures import InstanceData
    size = IMAGE_SIZE.get(name, DEFAULT_IMAGE_SIZE)
    gen = _generator(400)
    image = torch.randint(0, 256, (3, size, size), generator=gen, dtype=torch.uint8)
    boxes = torch.tensor([[0.1, 0.15, 0.5, 0.6], [0.4, 0.3, 0.95, 0.9], [0.05, 0.55, 0.35, 0.95]
                          ]) * size
    image[:, int(boxes[0, 1]):int(boxes[0, 3]), int(boxes[0, 0]):int(boxes[0, 2])] //= 4
    sample = DetDataSample(
        metainfo=dict(
            img_shape=(size, size),
            ori_shape=(size, size),
            pad_shape=(size, size),
            scale_factor=(1., 1.),
            batch_input_shape=(size, size),
            img_id=0))
    masks = torch.zeros(3, size, size, dtype=torch.uint8)
    for i, (x1, y1, x2, y2) in enumerate(boxes.round().long().tolist()):
        masks[i, y1:y2, x1:x2] = 1
    sample.gt_instances = InstanceData(
        bboxes=boxes, labels=torch.tensor([0, 2, 5]), masks=BitmapMasks(masks.numpy(), size, size))
    sample = sample.to(device)
    return dict(inputs=[image.to(device)], data_samples=[sample])


def build_detector(name: str, device: str = 'cpu'):
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules
    from mmengine.logging import MMLogger
    from mmengine.registry import DefaultScope
    register_all_modules(init_default_scope=False)
    MMLogger.get_instance('mmcv_ext_reference', log_level='WARNING')  # no per-weight init log
    cfg = detector_config(name)
    with DefaultScope.overwrite_default_scope('mmdet'):
        torch.manual_seed(0)
        model = MODELS.build(cfg.model)
        model.init_weights()
    if name == 'ssd300':
        # mmdet 3.3.0's SSD predict reads a loss_cls SSDHead never builds (zoo.SSDHead's fix)
        model.bbox_head.loss_cls = None
    return model.to(device)


def run_detector(name: str, device: str = 'cpu', amp_dtype=None) -> Record:
    """One SGD step from seeded weights on a fixed image, then a prediction: the losses, a
    checksum of the updated parameters and the 30 best detections. ``amp_dtype`` runs both
    under ``torch.autocast``."""
    from mmengine.optim import OptimWrapper
    model = build_detector(name, device)
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9))
    autocast = torch.autocast(
        device_type=torch.device(device).type, dtype=amp_dtype, enabled=amp_dtype is not None)
    model.train()
    with autocast:
        losses = model.train_step(detector_batch(name, device), wrapper)
    record = {f'loss/{k}': v.detach().float().cpu() for k, v in losses.items()}
    record['param_sum'] = sum(p.detach().double().abs().sum().cpu() for p in model.parameters())
    model.eval()
    with torch.no_grad(), autocast:
        pred = model.test_step(detector_batch(name, device))[0].pred_instances
    order = pred.scores.float().argsort(descending=True, stable=True)[:30]
    record['pred/bboxes'] = pred.bboxes[order].float().cpu()
    record['pred/scores'] = pred.scores[order].float().cpu()
    record['pred/labels'] = pred.labels[order].cpu()
    record['pred/count'] = torch.tensor(len(pred.scores))
    if 'masks' in pred:
        record['pred/mask_areas'] = pred.masks[order].flatten(1).sum(1).cpu()
    return record


# -------------------------------------------------------------------------------- record
def record_all(detectors=tuple(DETECTORS)) -> Record:
    out: Record = {}
    for i, case in enumerate(nms_cases()):
        for key, value in case.items():
            out[f'nms/{i}/{key}'] = value
        for offset in (0, 1):
            out[f'nms/{i}/keep_offset{offset}'] = run_nms(case, offset)
        for key, value in run_batched_nms(case).items():
            out[f'nms/{i}/batched_{key}'] = value
        out[f'nms/{i}/match'] = run_nms_match(case)
        for method in ('linear', 'gaussian', 'naive'):
            for key, value in run_soft_nms(case, method).items():
                out[f'nms/{i}/soft_{method}_{key}'] = value
    for seed in range(2):
        for key, value in run_bbox_overlaps(seed).items():
            out[f'bbox_overlaps/{seed}/{key}'] = value
    inputs = roi_inputs()
    out.update({f'roi/{k}': v for k, v in inputs.items()})
    for aligned, ratio in ROI_ALIGN_SETTINGS:
        for mode in ('avg', 'max'):
            for key, value in run_roi_align(inputs, aligned, ratio, mode).items():
                out[f'roi_align/{mode}_{aligned}_{ratio}/{key}'] = value
    for modulated in (False, True):
        for j, setting in enumerate(DEFORM_SETTINGS):
            result = run_deform_conv(deform_inputs(setting, modulated), setting)
            for key, value in result.items():
                out[f'deform/{int(modulated)}_{j}/{key}'] = value
    for name in detectors:
        print(f'detector {name}', flush=True)
        out.update({f'detector/{name}/{k}': v for k, v in run_detector(name).items()})
    return out


def compare(reference: Record, current: Record) -> List[tuple]:
    """Rows (group, tensors compared, bit-identical, max |diff|) of an equality table."""
    groups: Dict[str, list] = {}
    for key, expected in reference.items():
        if key == 'mmcv_version' or key not in current:
            continue
        parts = key.split('/')
        group = parts[0] if parts[0] != 'detector' else '/'.join(parts[:2])
        if parts[0] == 'nms':  # keep_offset0/1, batched, match, soft_<method>, the inputs
            name = parts[2]
            group = 'nms/' + ('_'.join(name.split('_')[:2]) if name.startswith('soft_') else
                              'batched' if name.startswith('batched') else name)
        if parts[0] in ('roi_align', 'deform'):
            group = '/'.join(parts[:2])
        actual = current[key]
        same = actual.shape == expected.shape and torch.equal(actual, expected)
        diff = (0.0 if same else float(
            (actual.double() -
             expected.double()).abs().max()) if actual.shape == expected.shape else float('inf'))
        groups.setdefault(group, []).append((same, diff))
    return [(g, len(v), sum(s for s, _ in v), max(d for _, d in v)) for g, v in groups.items()]
