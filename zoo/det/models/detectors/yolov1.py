from typing import Optional

from mmdet.models.detectors.single_stage import SingleStageDetector
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig

from zoo.registry import MODELS


@MODELS.register_module()
class YOLOV1(SingleStageDetector):
    """YOLOv1 (`You Only Look Once: Unified, Real-Time Object Detection
    <https://arxiv.org/abs/1506.02640>`_): a backbone and a grid head, nothing in between.

    mmdet's :class:`SingleStageDetector` does the rest (data preprocessing, the ``loss`` /
    ``predict`` / ``tensor`` modes, predictions packed into ``DetDataSample``), so the detector
    trains and evaluates with mmdet's pipelines and metrics. What this class adds is a check at
    build time that the head reads as many channels as the backbone's single output has.

    Args:
        backbone: Backbone config, e.g. ``dict(type='zoo.ResNet', depth=50, out_indices=(3, ))``.
        bbox_head: Head config, ``dict(type='zoo.YOLOV1Head', ...)``.
        neck: Optional neck config (YOLOv1 has none).
        train_cfg: Passed to the head.
        test_cfg: Passed to the head (``score_thr``, ``nms``, ``max_per_img``, ``nms_pre``).
        data_preprocessor: e.g. ``dict(type='DetDataPreprocessor', ...)``.
        init_cfg: Initialisation config.

    Example:
        >>> import torch
        >>> from mmdet.structures import DetDataSample
        >>> import zoo.det  # registers YOLOV1 and YOLOV1Head
        >>> detector = MODELS.build(dict(
        ...     type='YOLOV1',
        ...     backbone=dict(type='zoo.ResNet', depth=18, out_indices=(3, )),
        ...     bbox_head=dict(type='zoo.YOLOV1Head', num_classes=3, in_channels=512,
        ...                    feat_channels=64, num_convs=1, fc_channels=None),
        ...     data_preprocessor=dict(type='mmdet.DetDataPreprocessor')))
        >>> pred, = detector(torch.rand(1, 3, 448, 448), mode='tensor')
        >>> tuple(pred.shape)  # (N, S, S, B * 5 + C)
        (1, 7, 7, 13)
    """

    def __init__(self,
                 backbone: ConfigType,
                 bbox_head: ConfigType,
                 neck: OptConfigType = None,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(
            backbone=backbone,
            neck=neck,
            bbox_head=bbox_head,
            train_cfg=train_cfg,
            test_cfg=test_cfg,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        self._check_channels()

    def _check_channels(self) -> None:
        # zoo backbones declare out_channels; other backbones and necks are trusted as built.
        out_channels: Optional[tuple] = getattr(self.backbone, 'out_channels', None)
        if self.with_neck or out_channels is None:
            return
        head_channels = getattr(self.bbox_head, 'in_channels', None)
        if len(out_channels) != 1 or out_channels[0] != head_channels:
            raise ValueError(
                f'YOLOV1: the head reads one feature map of {head_channels} channels but the '
                f'backbone returns {len(out_channels)} map(s) of {tuple(out_channels)} channels; '
                'set backbone.out_indices to a single stage and bbox_head.in_channels to its '
                'channels')


__all__ = ['YOLOV1']
