from typing import List, Optional, Tuple, Union

import torch
from mmengine.model import BaseModel
from torch import Tensor, nn

from zoo.registry import MODELS
from zoo.structures import ClsDataSample


@MODELS.register_module()
class ImageClassifier(BaseModel):
    """Backbone, optional neck and head: an image classifier for MMEngine's Runner.

    Example:
        >>> model = MODELS.build(dict(
        ...     type='ImageClassifier',
        ...     backbone=dict(type='ResNet', depth=18),
        ...     neck=dict(type='GlobalAveragePooling'),
        ...     head=dict(type='LinearClsHead', num_classes=10, in_channels=512)))
        >>> model(torch.rand(2, 3, 64, 64)).shape   # mode='tensor': the logits
        torch.Size([2, 10])

    Args:
        backbone: Backbone config.
        neck: Neck config, or ``None`` when the head takes the backbone's output directly.
        head: Classification head config.
        data_preprocessor: Config of the data preprocessor that stacks and normalises batches
            on the model's device; defaults to a :class:`ClsDataPreprocessor` without
            normalisation; a config without ``type`` gets that type. The Runner fills it from a
            data set config's top-level ``data_preprocessor``.
        train_cfg: ``dict(augments=[dict(type='Mixup', alpha=0.8), ...], probs=None)``: the batch
            augmentations applied in training (see
            :class:`~zoo.models.utils.batch_augments.RandomBatchAugment`); they go to the data
            preprocessor as its ``batch_augments`` unless that sets its own, as mmpretrain's.
        pretrained: A checkpoint of the whole classifier, shorthand for
            ``init_cfg=dict(type='Pretrained', checkpoint=pretrained)``.
        init_cfg: Initialisation config.
    """

    def __init__(self,
                 backbone: dict,
                 head: dict,
                 neck: Optional[dict] = None,
                 data_preprocessor: Optional[Union[dict, nn.Module]] = None,
                 train_cfg: Optional[dict] = None,
                 pretrained: Optional[str] = None,
                 init_cfg: Optional[dict] = None):
        if train_cfg is not None and not set(train_cfg) <= {'augments', 'probs'}:
            raise ValueError(f'ImageClassifier: train_cfg takes augments and probs (batch '
                             f'augmentations), got {sorted(train_cfg)}')
        if pretrained is not None:
            init_cfg = dict(type='Pretrained', checkpoint=pretrained)
        if not isinstance(data_preprocessor, nn.Module):
            data_preprocessor = dict(
                dict(type='zoo.ClsDataPreprocessor'), **(data_preprocessor or {}))
            if train_cfg is not None:
                data_preprocessor.setdefault('batch_augments', train_cfg)
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck) if neck is not None else None
        self.head = MODELS.build(head)
        if getattr(self.data_preprocessor, 'channels_last', False):
            # the batches come in NHWC: the convolution weights must too, or each conv converts
            # back; in-place initialisation, loading and .to(device) keep the format
            self.to(memory_format=torch.channels_last)

    def train_step(self, data: Union[dict, tuple, list], optim_wrapper) -> dict:
        """MMEngine's ``BaseModel.train_step``, with the parameter update kept out of
        ``torch.compile``: with ``compile=True`` the Runner compiles this method, and dynamo
        would trace the optimizer's ``step``, which guards on the learning rate, so a warm-up
        that changes it every iteration recompiled the step each iteration until dynamo's
        cache limit (8) left it eager. The forward pass and loss stay compiled."""
        with optim_wrapper.optim_context(self):
            data = self.data_preprocessor(data, True)
            losses = self._run_forward(data, mode='loss')
        parsed_losses, log_vars = self.parse_losses(losses)
        _update_params(optim_wrapper, parsed_losses)
        return log_vars

    def forward(self,
                inputs: Tensor,
                data_samples: Optional[List[ClsDataSample]] = None,
                mode: str = 'tensor'):
        """``'tensor'``: logits; ``'loss'``: a dict of losses; ``'predict'``: data samples with
        ``pred_score`` and ``pred_label``."""
        if mode == 'tensor':
            return self.head(self.extract_feat(inputs))
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        raise ValueError(f'ImageClassifier: mode must be "tensor", "loss" or "predict", '
                         f'got {mode!r}')

    def extract_feat(self, inputs: Tensor) -> Tuple[Tensor, ...]:
        feats = self.backbone(inputs)
        return self.neck(feats) if self.neck is not None else feats

    def loss(self, inputs: Tensor, data_samples: List[ClsDataSample]) -> dict:
        return self.head.loss(self.extract_feat(inputs), data_samples)

    def predict(self,
                inputs: Tensor,
                data_samples: Optional[List[ClsDataSample]] = None) -> List[ClsDataSample]:
        return self.head.predict(self.extract_feat(inputs), data_samples)


@torch.compiler.disable
def _update_params(optim_wrapper, loss: Tensor) -> None:
    """Backward, step and zero_grad, always eager (see ``ImageClassifier.train_step``)."""
    optim_wrapper.update_params(loss)
