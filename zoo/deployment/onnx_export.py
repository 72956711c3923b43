"""ONNX export of zoo models as self-contained graphs: pixels in, answers out.

A classifier's graph takes ``float32`` NCHW RGB pixels in 0-255 at the config's test size,
normalises them as the model's data preprocessor does and returns softmax scores. A dense
detector's (RetinaNet, YOLOv1) takes one such image at its test size and returns
``boxes (K, 4)`` (x1, y1, x2, y2 in input pixels), ``scores (K, )`` and ``labels (K, )``: box
decoding, score threshold, top-k and per-class NMS (``torchvision.ops.nms``, exported as
``NonMaxSuppression``) all run in the graph, as mmdet's ``predict_by_feat`` does them.

The TorchScript-based exporter (``dynamo=False``) is used: it needs no ``onnxscript`` and
exports torchvision's NMS.
"""
import copy
import re
import warnings
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from zoo.models.builder import input_channels

OPSET = 17


class ExportError(RuntimeError):
    """A model cannot be expressed in ONNX; the message names the operator and the module."""


class Normalize(nn.Module):
    """What an MMEngine ``ImgDataPreprocessor`` does to a batch, for RGB input: the channel
    flip it would apply to OpenCV's BGR (reversed here for RGB input), then ``(x - mean) / std``
    and zero padding to ``pad_size_divisor``."""

    def __init__(self, data_preprocessor: nn.Module, channels: int):
        super().__init__()
        # The preprocessor flips BGR to RGB when bgr_to_rgb: the model wants RGB, as given. A
        # model trained without the flip saw BGR, so an RGB input is flipped for it.
        self.flip = channels == 3 and not getattr(data_preprocessor, '_channel_conversion', False)
        self.normalize = bool(getattr(data_preprocessor, '_enable_normalize', False))
        if self.normalize:
            self.register_buffer('mean', data_preprocessor.mean.detach().clone().float())
            self.register_buffer('std', data_preprocessor.std.detach().clone().float())
        self.pad_size_divisor = int(getattr(data_preprocessor, 'pad_size_divisor', 1))

    def forward(self, x: Tensor) -> Tensor:
        if self.flip:
            x = x.flip(1)
        if self.normalize:
            x = (x - self.mean) / self.std
        divisor = self.pad_size_divisor
        pad_h = -x.shape[2] % divisor
        pad_w = -x.shape[3] % divisor
        if pad_h or pad_w:
            x = F.pad(x, (0, pad_w, 0, pad_h))
        return x


class MatmulAdaptiveAvgPool2d(nn.Module):
    """``nn.AdaptiveAvgPool2d`` as two matrix products with the averaging weights of the input
    size met at export time: ONNX's pooling cannot express an output size that does not divide
    the input size (YOLOv1's 7 x 7 grid from ResNet's 8 x 8 map at 256 px). The windows are
    PyTorch's: cell ``i`` averages ``floor(i * n / s)`` to ``ceil((i + 1) * n / s)``."""

    def __init__(self, output_size):
        super().__init__()
        size = output_size if isinstance(output_size, (tuple, list)) else (output_size, ) * 2
        self.output_size = tuple(size)

    @staticmethod
    def weights(in_size: int, out_size: int, like: Tensor) -> Tensor:
        weight = torch.zeros(out_size, in_size, dtype=like.dtype)
        for i in range(out_size):
            start, end = (i * in_size) // out_size, -(-((i + 1) * in_size) // out_size)
            weight[i, start:end] = 1.0 / (end - start)
        return weight.to(like.device)

    def forward(self, x: Tensor) -> Tensor:
        height, width = (int(v) for v in x.shape[-2:])
        out_h = self.output_size[0] or height
        out_w = self.output_size[1] or width
        return self.weights(height, out_h, x) @ x @ self.weights(width, out_w, x).t()


def exportable_copy(model: nn.Module) -> nn.Module:
    """A copy of ``model`` in eval mode with the layers ONNX cannot express swapped for
    equivalents (adaptive average pooling to more than one cell)."""
    model = copy.deepcopy(model).eval()
    for name, module in list(model.named_modules()):
        if isinstance(module, nn.AdaptiveAvgPool2d) and module.output_size not in (1, (1, 1)):
            parent = model.get_submodule(name.rpartition('.')[0]) if '.' in name else model
            setattr(parent, name.rpartition('.')[2], MatmulAdaptiveAvgPool2d(module.output_size))
    return model


class ExportableClassifier(nn.Module):
    """A zoo ``ImageClassifier`` as pixels -> softmax scores."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = exportable_copy(model)
        self.normalize = Normalize(model.data_preprocessor, input_channels(model))

    def forward(self, pixels: Tensor) -> Tensor:
        logits = self.model(self.normalize(pixels), mode='tensor')
        return F.softmax(logits, dim=1)


def clip_boxes(boxes: Tensor, height: int, width: int) -> Tensor:
    """``(N, 4)`` x1, y1, x2, y2 clamped to the image, as mmdet's decoders clip them."""
    return torch.stack((boxes[:, 0].clamp(0, width), boxes[:, 1].clamp(
        0, height), boxes[:, 2].clamp(0, width), boxes[:, 3].clamp(0, height)), 1)


class ExportableDenseDetector(nn.Module):
    """An mmdet single-stage detector (RetinaNet's ``RetinaHead``, zoo's ``YOLOV1Head``) as
    pixels -> boxes, scores, labels for one image, with the head's ``test_cfg``.

    Per level, the top ``nms_pre`` (box, class) pairs by score are kept, then those above
    ``score_thr``: the same set as mmdet's threshold-then-top-k. Boxes narrower or lower than
    ``min_bbox_size`` are dropped, then per-class NMS keeps at most ``max_per_img``.
    """

    def __init__(self, model: nn.Module, input_size: Tuple[int, int]):
        super().__init__()
        self.model = exportable_copy(model)
        self.head = self.model.bbox_head
        self.input_size = tuple(input_size)
        self.normalize = Normalize(model.data_preprocessor, 3)
        cfg = self.head.test_cfg
        nms = cfg.get('nms', {})
        if nms.get('type', 'nms') != 'nms':
            raise ExportError(f'test_cfg.nms type {nms.get("type")!r}: only plain NMS exports')
        self.iou_threshold = float(nms.get('iou_threshold', 0.5))
        self.score_thr = float(cfg.get('score_thr', 0))
        self.nms_pre = cfg.get('nms_pre', -1)
        self.min_bbox_size = cfg.get('min_bbox_size', -1)
        self.max_per_img = int(cfg.get('max_per_img', 100))
        if type(self.head).__name__ not in ('YOLOV1Head', 'RetinaHead'):
            raise ExportError(f'{type(self.head).__name__}: only RetinaHead and YOLOV1Head '
                              'export with decoding and NMS in the graph')

    def candidates(self, feats: Tuple[Tensor, ...]) -> List[Tuple[Tensor, Tensor]]:
        """Per level: boxes ``(N, 4)`` in input pixels and class scores ``(N, C)``."""
        height, width = self.input_size
        if type(self.head).__name__ == 'YOLOV1Head':
            pred, = self.head(feats)
            boxes, conf, cls_scores = self.head.split(pred.float())
            xyxy = self.head.decode_boxes(boxes).flatten(1, 3)[0]
            xyxy = clip_boxes(xyxy * xyxy.new_tensor([width, height, width, height]), height, width)
            scores = (cls_scores.unsqueeze(3) * conf.unsqueeze(-1)).flatten(1, 3)[0]
            return [(xyxy, scores)]
        cls_scores, bbox_preds = self.head(feats)
        sizes = [score.shape[-2:] for score in cls_scores]
        priors = self.head.prior_generator.grid_priors(
            sizes, dtype=cls_scores[0].dtype, device=cls_scores[0].device)
        levels = []
        for cls_score, bbox_pred, level_priors in zip(cls_scores, bbox_preds, priors):
            scores = cls_score[0].permute(1, 2, 0).reshape(-1, self.head.cls_out_channels)
            scores = scores.sigmoid() if self.head.use_sigmoid_cls else scores.softmax(-1)[:, :-1]
            deltas = bbox_pred[0].permute(1, 2, 0).reshape(-1, self.head.bbox_coder.encode_size)
            # clipped here: mmdet 3.3's clipping under ONNX export imports the gone mmdet.core
            boxes = self.head.bbox_coder.decode(level_priors, deltas, max_shape=None)
            levels.append((clip_boxes(boxes, height, width), scores))
        return levels

    def forward(self, pixels: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        feats = self.model.extract_feat(self.normalize(pixels))
        all_boxes, all_scores, all_labels = [], [], []
        for boxes, scores in self.candidates(feats):
            num_classes = scores.shape[1]
            flat = scores.reshape(-1)
            k = flat.shape[0] if self.nms_pre is None or self.nms_pre < 0 else \
                min(int(self.nms_pre), flat.shape[0])
            top_scores, top = flat.topk(k)
            all_boxes.append(boxes[top // num_classes])
            all_scores.append(top_scores)
            all_labels.append(top % num_classes)
        boxes, scores, labels = (torch.cat(t) for t in (all_boxes, all_scores, all_labels))
        keep = scores > self.score_thr
        if self.min_bbox_size is not None and self.min_bbox_size >= 0:
            keep = keep & ((boxes[:, 2] - boxes[:, 0]) > self.min_bbox_size) & \
                ((boxes[:, 3] - boxes[:, 1]) > self.min_bbox_size)
        boxes, scores, labels = boxes[keep], scores[keep], labels[keep]
        # Per-class NMS by offsetting each class's boxes beyond the others' (mmcv's and
        # torchvision's batched_nms); written out, because torchvision's scripted version
        # branches on the box count, which tracing freezes to the example's.
        from torchvision.ops import nms
        max_coordinate = torch.cat([boxes.reshape(-1), boxes.new_zeros(1)]).max()
        offsets = labels.to(boxes) * (max_coordinate + 1)
        kept = nms(boxes + offsets[:, None], scores, self.iou_threshold)[:self.max_per_img]
        return boxes[kept], scores[kept], labels[kept]


def _unsupported_op(error: Exception) -> Optional[str]:
    """The ATen operator an exporter error is about (``aten::fft_fft2``), if it says."""
    match = re.search(r"operator '([\w:.]+)'", str(error)) or \
        re.search(r'export of operator (\w+)', str(error))
    if match is None:
        return None
    op = match.group(1)
    return op if '::' in op else f'aten::{op}'


def _modules_calling(module: nn.Module, args: tuple, op: str) -> List[str]:
    """The qualified names (and classes) of the innermost modules whose traced graph calls
    ``op``, from TorchScript's per-node module scopes."""
    names = {m: name for name, m in module.named_modules()}
    modules = dict(module.named_modules())
    torch.jit._trace._trace_module_map = names
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            graph, _ = torch.jit._get_trace_graph(module, args)
    finally:
        torch.jit._trace._trace_module_map = None
    found = []
    for node in graph.nodes():
        if node.kind() == op:
            name = node.scopeName().split('/')[-1]
            label = f'{name} ({type(modules[name]).__name__})' if name in modules else \
                f'{name or "<top level>"}'
            if label not in found:
                found.append(label)
    return found


def export_onnx(module: nn.Module,
                example: Tensor,
                output_file: str,
                input_names: Sequence[str] = ('input', ),
                output_names: Sequence[str] = ('scores', ),
                dynamic_axes: Optional[Dict[str, Dict[int, str]]] = None,
                opset: int = OPSET) -> None:
    """``torch.onnx.export`` (TorchScript-based) with an error that names the module whose
    operator ONNX cannot express.

    Raises:
        ExportError: ``'<op> cannot be exported to ONNX opset <n>; it is called in <module>'``.
    """
    module = module.eval()
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter('ignore')  # TracerWarnings on shape arithmetic, deprecation
            torch.onnx.export(
                module, (example, ),
                output_file,
                dynamo=False,
                input_names=list(input_names),
                output_names=list(output_names),
                dynamic_axes=dynamic_axes,
                opset_version=opset)
    except torch.onnx.errors.OnnxExporterError as error:
        op = _unsupported_op(error)
        if op is None:
            raise ExportError(f'ONNX export failed: {error}') from error
        with torch.no_grad():
            where = _modules_calling(module, (example, ), op)
        first_line = str(error).strip().split('\n')[0].split(' Please')[0].split(' [')[0]
        raise ExportError(f'{op} cannot be exported to ONNX opset {opset}; it is called in '
                          f'{", ".join(where) or "an unknown module"} ({first_line})') from error


def detection_input_size(cfg) -> Tuple[int, int]:
    """``(height, width)`` a detector's graph takes: the test pipeline's ``Resize`` scale."""
    from zoo.apis import get_test_pipeline
    scales = [
        t['scale'] for t in get_test_pipeline(cfg)
        if str(t.get('type', '')).split('.')[-1] == 'Resize' and 'scale' in t
    ]
    if not scales:
        raise ValueError(f'{cfg.filename}: no Resize with a scale in the test pipeline')
    scale = scales[-1]
    return (scale, scale) if isinstance(scale, int) else (int(scale[1]), int(scale[0]))


def exportable(model: nn.Module) -> Tuple[nn.Module, Tensor, dict]:
    """The graph module of a model built by :func:`zoo.apis.get_model`, an example input at
    its test size and ``torch.onnx.export``'s names for it."""
    if hasattr(model, 'bbox_head'):
        height, width = detection_input_size(model.cfg)
        module = ExportableDenseDetector(model, (height, width))
        example = torch.rand(1, 3, height, width) * 255
        return module, example, dict(
            input_names=('input', ), output_names=('boxes', 'scores', 'labels'))
    if not hasattr(model, 'head') or not hasattr(model, 'backbone'):
        raise ExportError(f'{type(model).__name__}: only image classifiers and the dense '
                          'detectors RetinaNet and YOLOv1 export')
    from zoo.apis import get_test_image_size
    height, width = get_test_image_size(model.cfg)
    module = ExportableClassifier(model)
    example = torch.rand(1, input_channels(model), height, width) * 255
    return module, example, dict(input_names=('input', ), output_names=('scores', ))


def export_model(model: nn.Module, output_file: str, dynamic_batch: bool = False) -> Tensor:
    """Export a zoo classifier or dense detector to ``output_file``; returns the example input
    it was traced with (``(1, C, H, W)``, the graph's input shape)."""
    module, example, names = exportable(model.cpu().eval())
    dynamic_axes = None
    if dynamic_batch:
        if isinstance(module, ExportableDenseDetector):
            raise ValueError('detector graphs take one image: --dynamic-batch is for '
                             'classifiers')
        dynamic_axes = {'input': {0: 'batch'}, 'scores': {0: 'batch'}}
    export_onnx(module, example, output_file, dynamic_axes=dynamic_axes, **names)
    return example
