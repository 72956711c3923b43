from mmdet.models.dense_heads import SSDHead as MMDetSSDHead

from zoo.registry import MODELS


@MODELS.register_module()
class SSDHead(MMDetSSDHead):
    """mmdet 3.3.0's ``SSDHead``, with prediction working.

    mmdet 3.3.0's ``BaseDenseHead._predict_by_feat_single`` reads ``self.loss_cls``, which
    ``SSDHead`` never builds (it computes its loss itself), so every SSD prediction fails with
    ``AttributeError`` (open-mmlab/mmdetection#11780, fix proposed in #11524, unreleased).
    Declaring "no classification loss module" is the whole fix; everything else is mmdet's.
    """

    loss_cls = None
