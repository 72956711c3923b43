from typing import Optional, Sequence, Union

import torch
import torch.nn.functional as F
from torch import Tensor

from zoo.registry import MODELS
from ..utils.peer import resolve_peer
from .base_loss import BaseLoss
from .utils import labels_to_binary


@MODELS.register_module()
class CrossEntropyLoss(BaseLoss):
    """Softmax cross-entropy, per-class sigmoid (binary) cross-entropy, or mmdet's mask
    cross-entropy: a drop-in for both mmdet's and mmpretrain's ``CrossEntropyLoss``.

    Softmax (the default): ``target`` is either class indices of shape ``(N, )`` or class
    probabilities of shape ``(N, C)`` (mixup-style soft labels, mmpretrain's ``use_soft``). As in
    mmpretrain and mmdet, ``'mean'`` averages over samples (it does not divide by the sum of class
    weights, as ``F.cross_entropy`` would).

    Sigmoid (``use_sigmoid=True``, mmdet's RPN and YOLOv3 heads, mmpretrain's multi-label
    heads): one independent binary cross-entropy per class. ``target`` is either binary (or soft)
    of ``pred``'s shape, or class indices ``(N, )`` where index ``C`` (mmdet's background) means no
    class is present; a one-logit RPN head thus reads label 0 as object and 1 as background.

    Mask (``use_mask=True``, mmdet's mask heads): ``pred`` is ``(N, C, H, W)`` mask logits,
    ``target`` ``(N, H, W)`` binary masks, and the third argument (``weight``'s place, as in mmdet)
    the class of each mask, whose channel is compared; the mean binary cross-entropy comes back as
    a tensor of shape ``(1, )``, as mmdet's.

    Targets equal to ``ignore_index`` contribute 0 (and, for the sigmoid form, so do negative
    targets, as in mmdet); with ``avg_non_ignore`` the mean is over the other elements only.

    ``class_weight`` in the sigmoid form means what the peer means (see
    :mod:`zoo.models.utils.peer`): mmdet's weight of each class's positive term
    (``pos_weight``), or mmpretrain's weight of each class's whole term. ``peer=None`` follows the
    default scope: mmdet's in scope ``'mmdet'``, mmpretrain's otherwise.

    Example:
        >>> import torch
        >>> loss = CrossEntropyLoss()
        >>> loss(torch.tensor([[2.0, 0.0], [0.0, 2.0]]), torch.tensor([0, 0]))
        tensor(1.1269)
        >>> rpn_loss = CrossEntropyLoss(use_sigmoid=True)
        >>> rpn_loss(torch.tensor([[2.0], [2.0]]), torch.tensor([0, 1]))  # object, background
        tensor(1.1269)

    Args:
        use_sigmoid: Per-class sigmoid instead of softmax over classes.
        use_soft: mmpretrain's flag for soft (probability) targets of the softmax form; the
            softmax form takes them either way.
        use_mask: mmdet's mask cross-entropy, see above.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``.
        loss_weight: Factor applied to the reduced loss.
        class_weight: One weight a class. Softmax: applied to the loss of each sample by its
            target. Sigmoid: see above. Mask: mmdet passes it as an element-wise weight.
        pos_weight: mmpretrain's weight of each class's positive term (sigmoid form only).
        ignore_index: Target value that is ignored; ``None`` is ``-100``, as in PyTorch. A call
            may override it (``loss(pred, target, ignore_index=255)``).
        avg_non_ignore: Whether ``'mean'`` (without ``avg_factor``) divides by the number of
            elements that are not ignored rather than by all elements.
        label_smoothing: Share of the probability mass spread uniformly over all classes
            (0 disables it), in ``[0, 1)``; softmax only (zoo's; mmpretrain's recipes use
            ``LabelSmoothLoss``).
        peer: ``'mmdet'``, ``'mmpretrain'`` or ``None`` (the default scope's).
    """

    def __init__(self,
                 use_sigmoid: bool = False,
                 use_soft: bool = False,
                 use_mask: bool = False,
                 reduction: str = 'mean',
                 loss_weight: float = 1.0,
                 class_weight: Optional[Union[Sequence[float], Tensor]] = None,
                 pos_weight: Optional[Union[Sequence[float], Tensor]] = None,
                 ignore_index: Optional[int] = None,
                 avg_non_ignore: bool = False,
                 label_smoothing: float = 0.0,
                 peer: Optional[str] = None):
        super().__init__(reduction=reduction, loss_weight=loss_weight)
        self.peer = resolve_peer('CrossEntropyLoss', peer)
        forms = [
            name for name, on in (('use_sigmoid', use_sigmoid), ('use_soft', use_soft),
                                  ('use_mask', use_mask)) if on
        ]
        if len(forms) > 1:
            raise ValueError(f'CrossEntropyLoss: {" and ".join(forms)} exclude each other')
        if not 0.0 <= label_smoothing < 1.0:
            raise ValueError(f'CrossEntropyLoss: label_smoothing must be in [0, 1), '
                             f'got {label_smoothing}')
        if label_smoothing and (use_sigmoid or use_mask):
            raise ValueError('CrossEntropyLoss: label_smoothing applies to the softmax form only, '
                             f'not with {forms[0]}=True')
        if pos_weight is not None and not use_sigmoid:
            raise ValueError('CrossEntropyLoss: pos_weight applies to the sigmoid form only '
                             '(use_sigmoid=True)')
        if use_mask and (ignore_index is not None or reduction != 'mean' or avg_non_ignore):
            raise ValueError('CrossEntropyLoss: use_mask supports only reduction="mean", no '
                             'ignore_index and no avg_non_ignore (as mmdet\'s mask loss), got '
                             f'reduction={reduction!r}, ignore_index={ignore_index!r}, '
                             f'avg_non_ignore={avg_non_ignore}')
        self.label_smoothing = label_smoothing
        self.use_sigmoid = use_sigmoid
        self.use_soft = use_soft
        self.use_mask = use_mask
        self.ignore_index = -100 if ignore_index is None else ignore_index
        self.avg_non_ignore = avg_non_ignore
        # Buffers follow the model to its device and dtype. mmdet's DETR head passes a tensor.
        for name, value in (('class_weight', class_weight), ('pos_weight', pos_weight)):
            self.register_buffer(
                name,
                None if value is None else torch.as_tensor(value, dtype=torch.float32).flatten(),
                persistent=False)

    def forward(self,
                pred: Tensor,
                target: Tensor,
                weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None,
                ignore_index: Optional[int] = None) -> Tensor:
        if self.use_mask:
            return self.mask_loss(pred, target, weight, avg_factor, reduction_override,
                                  ignore_index)
        ignore_index = self.ignore_index if ignore_index is None else ignore_index
        if (self.avg_non_ignore and avg_factor is None
                and (reduction_override or self.reduction) == 'mean'):
            valid = self.valid_mask(pred, target, ignore_index)
            if valid is not None:
                loss_shape = pred.shape if self.use_sigmoid else target.shape
                avg_factor = torch.broadcast_to(valid, loss_shape).sum().item()
        return super().forward(
            pred, target, weight, avg_factor, reduction_override, ignore_index=ignore_index)

    def mask_loss(self, pred: Tensor, target: Tensor, label: Tensor, avg_factor: Optional[float],
                  reduction_override: Optional[str], ignore_index: Optional[int]) -> Tensor:
        """mmdet's ``mask_cross_entropy``: the channel of each mask's class against the mask."""
        if label is None:
            raise ValueError('CrossEntropyLoss(use_mask=True) needs the class of each mask as '
                             'its third argument: loss(mask_pred, mask_target, labels)')
        if avg_factor is not None or (reduction_override or 'mean') != 'mean' \
                or ignore_index is not None:
            raise ValueError('CrossEntropyLoss(use_mask=True) supports only the mean, without '
                             'avg_factor or ignore_index')
        selected = pred[torch.arange(pred.shape[0], device=pred.device), label]
        loss = F.binary_cross_entropy_with_logits(
            selected, target.type_as(selected), weight=self.class_weight, reduction='mean')
        return self.loss_weight * loss[None]

    def valid_mask(self, pred: Tensor, target: Tensor, ignore_index: int) -> Optional[Tensor]:
        """Where ``target`` is not ignored, broadcastable to the element-wise loss; ``None``
        for soft labels of the softmax form, which nothing can ignore."""
        if self.use_sigmoid:
            valid = (target >= 0) & (target != ignore_index)
            return valid.unsqueeze(-1) if target.dim() == pred.dim() - 1 else valid
        return None if target.is_floating_point() else target != ignore_index

    def elementwise_loss(self, pred: Tensor, target: Tensor, ignore_index: int) -> Tensor:
        num_classes = pred.shape[-1] if self.use_sigmoid else pred.shape[1]
        for name in ('class_weight', 'pos_weight'):
            value = getattr(self, name)
            if value is not None and value.numel() != num_classes:
                raise ValueError(f'CrossEntropyLoss: {name} has {value.numel()} entries but '
                                 f'the prediction has {num_classes} classes')
        if not self.use_sigmoid:
            return F.cross_entropy(
                pred,
                target,
                weight=self.class_weight,
                reduction='none',
                ignore_index=ignore_index,
                label_smoothing=self.label_smoothing)
        valid = self.valid_mask(pred, target, ignore_index)
        if target.dim() == pred.dim() - 1:
            target = labels_to_binary(target, num_classes)
        self.check_same_shape(pred, target)
        pos_weight, class_weight = self.pos_weight, self.class_weight
        if self.peer == 'mmdet' and pos_weight is None:
            pos_weight, class_weight = class_weight, None  # mmdet's meaning of class_weight
        loss = F.binary_cross_entropy_with_logits(
            pred,
            target.type_as(pred),
            weight=class_weight,
            pos_weight=pos_weight,
            reduction='none')
        return loss * valid

    def extra_repr(self) -> str:
        form = next(
            (name for name in ('use_sigmoid', 'use_soft', 'use_mask') if getattr(self, name)),
            'softmax')
        return (f'{form}, peer={self.peer!r}, label_smoothing={self.label_smoothing}, '
                f'ignore_index={self.ignore_index}, avg_non_ignore={self.avg_non_ignore}, ' +
                super().extra_repr())
