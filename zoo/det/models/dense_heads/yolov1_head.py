"""The YOLOv1 head: an S x S grid of cells, each predicting B boxes and C class scores."""
import copy
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmcv.cnn import build_activation_layer
from mmdet.models.dense_heads.base_dense_head import BaseDenseHead
from mmdet.models.utils import filter_scores_and_topk
from mmdet.structures.bbox import bbox_overlaps, get_box_tensor
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData
from torch import Tensor, nn

from zoo.models.layers import ConvNormAct
from zoo.models.losses.utils import weight_reduce_loss
from zoo.registry import MODELS

# Keys a test_cfg must hold: they feed mmdet's shared post-processing (_bbox_post_process).
TEST_CFG_KEYS = ('score_thr', 'nms', 'max_per_img')


@MODELS.register_module()
class YOLOV1Head(BaseDenseHead):
    r"""The head of YOLOv1 (`You Only Look Once: Unified, Real-Time Object Detection
    <https://arxiv.org/abs/1506.02640>`_).

    The image is divided into an ``S x S`` grid. Each cell predicts ``B`` boxes, each as
    ``(x, y, sqrt(w), sqrt(h), confidence)`` -- ``x, y`` the box centre relative to the cell
    (0 to 1 across it), ``w, h`` relative to the whole input -- and one set of ``C`` conditional
    class probabilities ``Pr(class | object)``. The output is linear, as in the paper; each cell's
    vector is ``[B x (x, y, sqrt w, sqrt h, conf) | C class scores]``.

    Layers (the paper's 4 convolutions and 2 fully connected layers added on top of the
    ImageNet-pretrained ones): ``num_convs`` 3x3 convolutions (BN and leaky ReLU 0.1), an
    adaptive average pool to ``S x S`` so that any input size works (the paper used 448x448,
    reduced 14x14 to 7x7 by a stride-2 convolution), then either ``fc_channels`` fully connected
    units, dropout and a linear layer to ``S * S * (B * 5 + C)`` (the paper: 4096, 0.5), or, with
    ``fc_channels=None``, a 1x1 convolution that predicts each cell from its own pooled feature.

    Training (:meth:`loss_by_feat`): each ground-truth box belongs to the cell holding its
    centre (when several centres share a cell, the largest box is kept: a cell predicts one
    class); of that cell's ``B`` predictors, the one whose decoded box has the highest IoU with
    it is *responsible* (if none overlaps it, the one closest in ``(x, y, sqrt w, sqrt h)``, as
    darknet does). With :math:`\mathbb{1}^{obj}_{ij}` marking the responsible predictor ``j`` of
    cell ``i``, :math:`\mathbb{1}^{noobj}_{ij}` every other predictor and
    :math:`\mathbb{1}^{obj}_i` the cells that hold an object, the loss of an image is

    .. math::

        \lambda_{coord} \sum_{i=0}^{S^2} \sum_{j=0}^{B} \mathbb{1}^{obj}_{ij}
            [(x_i - \hat x_i)^2 + (y_i - \hat y_i)^2]
        + \lambda_{coord} \sum_{i,j} \mathbb{1}^{obj}_{ij}
            [(\sqrt{w_i} - \sqrt{\hat w_i})^2 + (\sqrt{h_i} - \sqrt{\hat h_i})^2]
        + \sum_{i,j} \mathbb{1}^{obj}_{ij} (C_i - \hat C_i)^2
        + \lambda_{noobj} \sum_{i,j} \mathbb{1}^{noobj}_{ij} C_i^2
        + \sum_i \mathbb{1}^{obj}_i \sum_{c} (p_i(c) - \hat p_i(c))^2

    where hatted symbols are targets: :math:`\hat C_i` is the IoU of the predicted box with the
    ground truth (``rescore=True``, the paper; 1 otherwise) and :math:`\hat p_i` the one-hot
    class. The batch loss is the mean over images; its five terms are returned separately
    (``loss_xy``, ``loss_wh``, ``loss_obj``, ``loss_noobj``, ``loss_cls``) for logging.

    Inference (:meth:`predict_by_feat`): the class-specific confidence of each box is
    :math:`\Pr(class_i | object) \cdot \Pr(object) \cdot IoU = p_i(c) \cdot C_{ij}`; scores above
    ``test_cfg.score_thr`` (at most ``nms_pre`` of them) go through per-class NMS.

    Coordinates are fractions of the network input (``batch_input_shape``, padding included), so
    the grid covers exactly what the features cover; predictions are clipped to the image
    (``img_shape``) and, with ``rescale``, mapped back to the original image.

    Args:
        num_classes: Number of object classes ``C``.
        in_channels: Channels of the input feature map (2048 for ResNet-50's last stage).
        grid_size: ``S``.
        num_boxes: ``B``, boxes predicted per cell.
        feat_channels: Channels of the 3x3 convolutions.
        num_convs: Number of 3x3 convolutions (0 pools the input feature directly).
        fc_channels: Hidden units of the fully connected predictor, or ``None`` for a 1x1
            convolution per cell.
        dropout: Dropout before the last fully connected layer (``fc_channels`` only).
        lambda_coord: Weight of the coordinate terms.
        lambda_noobj: Weight of the confidence term of predictors without an object.
        rescore: Whether the confidence target of a responsible predictor is its IoU with the
            ground truth (the paper) rather than 1.
        norm_cfg: Norm layer of the convolutions.
        act_cfg: Activation of the hidden layers.
        train_cfg: Unused (the assignment is fixed by the grid); accepted because mmdet's
            single-stage detector passes it.
        test_cfg: ``score_thr``, ``nms`` (e.g. ``dict(type='nms', iou_threshold=0.5)``),
            ``max_per_img`` and optionally ``nms_pre`` and ``min_bbox_size``.
        init_cfg: Initialisation config.

    Example:
        >>> import torch
        >>> head = YOLOV1Head(num_classes=20, in_channels=512, feat_channels=64, num_convs=1,
        ...                   fc_channels=None)
        >>> pred, = head((torch.rand(2, 512, 14, 14), ))
        >>> tuple(pred.shape)  # (N, S, S, B * 5 + C)
        (2, 7, 7, 30)
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 grid_size: int = 7,
                 num_boxes: int = 2,
                 feat_channels: int = 1024,
                 num_convs: int = 4,
                 fc_channels: Optional[int] = 4096,
                 dropout: float = 0.5,
                 lambda_coord: float = 5.0,
                 lambda_noobj: float = 0.5,
                 rescore: bool = True,
                 norm_cfg: Optional[dict] = dict(type='BN'),
                 act_cfg: dict = dict(type='LeakyReLU', negative_slope=0.1, inplace=True),
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = dict(
                     type='Normal', layer=['Conv2d', 'Linear'], std=0.01)):
        super().__init__(init_cfg=init_cfg)
        for name, value in (('num_classes', num_classes), ('in_channels', in_channels),
                            ('grid_size', grid_size), ('num_boxes', num_boxes), ('feat_channels',
                                                                                 feat_channels)):
            if not isinstance(value, int) or value <= 0:
                raise ValueError(f'YOLOV1Head: {name} must be a positive int, got {value!r}')
        if num_convs < 0:
            raise ValueError(f'YOLOV1Head: num_convs must be >= 0, got {num_convs}')
        if fc_channels is not None and fc_channels <= 0:
            raise ValueError(f'YOLOV1Head: fc_channels must be positive or None, got {fc_channels}')
        if not 0 <= dropout < 1:
            raise ValueError(f'YOLOV1Head: dropout must be in [0, 1), got {dropout}')
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.grid_size = grid_size
        self.num_boxes = num_boxes
        self.lambda_coord = lambda_coord
        self.lambda_noobj = lambda_noobj
        self.rescore = rescore
        self.train_cfg = train_cfg
        self.test_cfg = self._check_test_cfg(test_cfg)
        self.cell_channels = num_boxes * 5 + num_classes

        convs, channels = [], in_channels
        for _ in range(num_convs):
            convs.append(
                ConvNormAct(channels, feat_channels, 3, norm_cfg=norm_cfg, act_cfg=act_cfg))
            channels = feat_channels
        self.convs = nn.Sequential(*convs)
        self.pool = nn.AdaptiveAvgPool2d(grid_size)
        if fc_channels is None:
            self.predictor = nn.Conv2d(channels, self.cell_channels, 1)
        else:
            self.predictor = nn.Sequential(
                nn.Flatten(), nn.Linear(channels * grid_size**2, fc_channels),
                build_activation_layer(act_cfg), nn.Dropout(dropout),
                nn.Linear(fc_channels, grid_size**2 * self.cell_channels))

    @staticmethod
    def _check_test_cfg(test_cfg: Optional[dict]) -> ConfigDict:
        if test_cfg is None:
            test_cfg = dict(
                score_thr=0.005, nms=dict(type='nms', iou_threshold=0.5), max_per_img=100)
        missing = [key for key in TEST_CFG_KEYS if key not in test_cfg]
        if missing:
            raise KeyError(f'YOLOV1Head: test_cfg lacks {missing} (needs {TEST_CFG_KEYS})')
        return ConfigDict(test_cfg)

    def forward(self, x: Tuple[Tensor, ...]) -> Tuple[Tensor]:
        """Predict the grid from one feature map.

        Args:
            x: A tuple with one feature map ``(N, in_channels, H, W)``, any ``H, W``.

        Returns:
            A tuple with the raw predictions ``(N, S, S, B * 5 + C)``.
        """
        if len(x) != 1:
            raise ValueError(f'YOLOV1Head predicts from one feature map, got {len(x)}; give the '
                             'backbone a single out_indices entry')
        feat = self.pool(self.convs(x[0]))
        pred = self.predictor(feat)
        num_imgs, s = pred.size(0), self.grid_size
        if pred.dim() == 4:  # 1x1 convolution: (N, B * 5 + C, S, S)
            pred = pred.permute(0, 2, 3, 1)
        return (pred.reshape(num_imgs, s, s, self.cell_channels), )

    def split(self, pred: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        """Split raw predictions ``(N, S, S, B * 5 + C)`` into boxes ``(N, S, S, B, 4)`` as
        ``(x, y, sqrt w, sqrt h)``, confidences ``(N, S, S, B)`` and class scores
        ``(N, S, S, C)``."""
        per_box = pred[..., :self.num_boxes * 5].unflatten(-1, (self.num_boxes, 5))
        return per_box[..., :4], per_box[..., 4], pred[..., self.num_boxes * 5:]

    def decode_boxes(self, boxes: Tensor) -> Tensor:
        """``(N, S, S, B, 4)`` cell-relative ``(x, y, sqrt w, sqrt h)`` to ``(x1, y1, x2, y2)``
        as fractions of the input's width and height."""
        s = self.grid_size
        cells = torch.arange(s, device=boxes.device, dtype=boxes.dtype)
        cx = (cells.view(1, 1, s, 1) + boxes[..., 0]) / s  # dim 2 is the column
        cy = (cells.view(1, s, 1, 1) + boxes[..., 1]) / s  # dim 1 is the row
        half_w, half_h = boxes[..., 2]**2 / 2, boxes[..., 3]**2 / 2
        return torch.stack((cx - half_w, cy - half_h, cx + half_w, cy + half_h), dim=-1)

    def get_targets(self, pred_boxes: Tensor, batch_gt_instances: Sequence[InstanceData],
                    batch_img_metas: Sequence[dict]) -> Dict[str, Tensor]:
        """Put each ground truth in its cell and pick the responsible predictor.

        Args:
            pred_boxes: Predicted ``(x, y, sqrt w, sqrt h)``, ``(N, S, S, B, 4)``.
            batch_gt_instances: Per image, ``bboxes`` ``(K, 4)`` in input pixels
                ``(x1, y1, x2, y2)`` and ``labels`` ``(K, )``.
            batch_img_metas: Per image, with ``batch_input_shape`` ``(H, W)``.

        Returns:
            ``obj_cells`` ``(N, S, S)`` bool, the cells that hold an object; ``responsible``
            ``(N, S, S, B)`` bool; ``box_targets`` ``(N, S, S, 4)``, the cell's ground truth as
            ``(x, y, sqrt w, sqrt h)``; ``labels`` ``(N, S, S)``; ``ious`` ``(N, S, S, B)``,
            each predictor's IoU with its cell's ground truth (0 in empty cells), detached.
        """
        num_imgs, s = pred_boxes.shape[:2]
        device = pred_boxes.device
        obj_cells = torch.zeros(num_imgs, s, s, dtype=torch.bool, device=device)
        box_targets = pred_boxes.new_zeros(num_imgs, s, s, 4)
        gt_xyxy = pred_boxes.new_zeros(num_imgs, s, s, 4)
        labels = torch.zeros(num_imgs, s, s, dtype=torch.long, device=device)
        for i, (gt, meta) in enumerate(zip(batch_gt_instances, batch_img_metas)):
            bboxes = get_box_tensor(gt.bboxes).to(pred_boxes)
            if bboxes.numel() == 0:
                continue
            if 'batch_input_shape' not in meta:
                raise KeyError('YOLOV1Head needs batch_input_shape in each image meta (mmdet\'s '
                               'DetDataPreprocessor sets it)')
            height, width = meta['batch_input_shape']
            norm = bboxes / bboxes.new_tensor([width, height, width, height])
            cx, cy = (norm[:, 0] + norm[:, 2]) / 2, (norm[:, 1] + norm[:, 3]) / 2
            w, h = (norm[:, 2] - norm[:, 0]).clamp(min=0), (norm[:, 3] - norm[:, 1]).clamp(min=0)
            col = (cx * s).floor().long().clamp(0, s - 1)
            row = (cy * s).floor().long().clamp(0, s - 1)
            # One object per cell: the largest box whose centre falls in it (a deterministic
            # choice; index_put with repeated indices would keep an arbitrary one).
            order = torch.argsort(w * h, descending=True, stable=True)
            cells, inverse = torch.unique(row[order] * s + col[order], return_inverse=True)
            first = torch.full_like(cells, len(order)).scatter_reduce(
                0, inverse, torch.arange(len(order), device=device), reduce='amin')
            keep = order[first]
            r, c = row[keep], col[keep]
            obj_cells[i, r, c] = True
            box_targets[i, r, c] = torch.stack((cx * s - col, cy * s - row, w.sqrt(), h.sqrt()),
                                               dim=-1)[keep]
            gt_xyxy[i, r, c] = norm[keep]
            labels[i, r, c] = gt.labels[keep].to(device)

        with torch.no_grad():
            pred_boxes = pred_boxes.detach()
            pred_xyxy = self.decode_boxes(pred_boxes)
            ious = bbox_overlaps(
                pred_xyxy.reshape(-1, 4),
                gt_xyxy.unsqueeze(3).expand_as(pred_xyxy).reshape(-1, 4),
                is_aligned=True).view(pred_xyxy.shape[:-1])
            ious = ious * obj_cells.unsqueeze(-1)
            # Highest IoU wins; when no predictor overlaps, the closest one (darknet's rule),
            # so that the choice is not always predictor 0 early in training.
            distance = (pred_boxes - box_targets.unsqueeze(3)).pow(2).sum(-1)
            score = torch.where(ious.amax(-1, keepdim=True) > 0, ious, -distance)
            best = score.argmax(-1)
            responsible = F.one_hot(best, self.num_boxes).bool() & obj_cells.unsqueeze(-1)
        return dict(
            obj_cells=obj_cells,
            responsible=responsible,
            box_targets=box_targets,
            labels=labels,
            ious=ious)

    def loss_by_feat(
            self,
            pred: Tensor,
            batch_gt_instances: Sequence[InstanceData],
            batch_img_metas: Sequence[dict],
            batch_gt_instances_ignore: Optional[Sequence[InstanceData]] = None
    ) -> Dict[str, Tensor]:
        """The sum-squared YOLOv1 loss (formula in the class docstring), averaged over images.

        Ignored instances (e.g. VOC's "difficult" boxes) are not learned as objects; YOLOv1 has
        no ignore region, so their cells count as empty.

        Args:
            pred: Raw predictions ``(N, S, S, B * 5 + C)`` from :meth:`forward`.
            batch_gt_instances: Per image, ``bboxes`` and ``labels``.
            batch_img_metas: Per image, with ``batch_input_shape``.
            batch_gt_instances_ignore: Unused.

        Returns:
            ``loss_xy``, ``loss_wh``, ``loss_obj``, ``loss_noobj``, ``loss_cls``.
        """
        # fp32 even under autocast: sums of ~S*S*B squares, and sqrt targets near 0
        boxes, conf, cls_scores = self.split(pred.float())
        targets = self.get_targets(boxes, batch_gt_instances, batch_img_metas)
        resp = targets['responsible'].to(conf.dtype)  # 1^obj_ij, (N, S, S, B)
        noobj = 1 - resp  # 1^noobj_ij
        obj_cells = targets['obj_cells'].to(conf.dtype)  # 1^obj_i, (N, S, S)
        conf_target = targets['ious'] if self.rescore else torch.ones_like(conf)  # C^_i
        cls_target = F.one_hot(targets['labels'], self.num_classes).to(conf.dtype)  # p^_i(c)
        sq_err = (boxes - targets['box_targets'].unsqueeze(3)).pow(2)  # (N, S, S, B, 4)

        num_imgs = pred.size(0)

        def image_mean(loss: Tensor, weight: Tensor) -> Tensor:
            # sum over cells and predictors, mean over images: the paper's per-image sum
            return weight_reduce_loss(loss, weight, reduction='mean', avg_factor=num_imgs)

        return dict(
            loss_xy=image_mean(sq_err[..., :2].sum(-1), self.lambda_coord * resp),
            loss_wh=image_mean(sq_err[..., 2:].sum(-1), self.lambda_coord * resp),
            loss_obj=image_mean((conf - conf_target).pow(2), resp),
            loss_noobj=image_mean(conf.pow(2), self.lambda_noobj * noobj),
            loss_cls=image_mean((cls_scores - cls_target).pow(2).sum(-1), obj_cells))

    def predict_by_feat(self,
                        pred: Tensor,
                        batch_img_metas: Sequence[dict],
                        cfg: Optional[dict] = None,
                        rescale: bool = False,
                        with_nms: bool = True) -> List[InstanceData]:
        """Boxes scored by class-specific confidence, thresholded, then NMS per class.

        Args:
            pred: Raw predictions ``(N, S, S, B * 5 + C)`` from :meth:`forward`.
            batch_img_metas: Per image, with ``batch_input_shape``, ``img_shape`` and, for
                ``rescale``, ``scale_factor``.
            cfg: Test config; ``None`` uses ``self.test_cfg``.
            rescale: Whether to map boxes back to the original image.
            with_nms: Whether to apply NMS (and ``max_per_img``).

        Returns:
            Per image, ``InstanceData`` with ``bboxes`` ``(K, 4)`` ``(x1, y1, x2, y2)``,
            ``scores`` ``(K, )`` and ``labels`` ``(K, )``.
        """
        cfg = self.test_cfg if cfg is None else self._check_test_cfg(copy.deepcopy(cfg))
        boxes, conf, cls_scores = self.split(pred.float())  # bf16 would cost pixels at 448
        xyxy = self.decode_boxes(boxes).flatten(1, 3)  # (N, S * S * B, 4)
        # Pr(class | object) * Pr(object) * IoU = p_i(c) * C_ij
        scores = (cls_scores.unsqueeze(3) * conf.unsqueeze(-1)).flatten(1, 3)
        results_list = []
        for img_xyxy, img_scores, meta in zip(xyxy, scores, batch_img_metas):
            height, width = meta['batch_input_shape']
            bboxes = img_xyxy * img_xyxy.new_tensor([width, height, width, height])
            img_h, img_w = meta['img_shape'][:2]
            bboxes[:, 0::2] = bboxes[:, 0::2].clamp(0, img_w)
            bboxes[:, 1::2] = bboxes[:, 1::2].clamp(0, img_h)
            kept_scores, labels, _, filtered = filter_scores_and_topk(
                img_scores, cfg.score_thr, cfg.get('nms_pre', img_scores.numel()),
                dict(bboxes=bboxes))
            results = InstanceData(bboxes=filtered['bboxes'], scores=kept_scores, labels=labels)
            results_list.append(
                self._bbox_post_process(
                    results, cfg, rescale=rescale, with_nms=with_nms, img_meta=meta))
        return results_list


__all__ = ['YOLOV1Head']
