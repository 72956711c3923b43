import torch.nn.functional as F
from torch import Tensor

from zoo.registry import MODELS
from .base_loss import BaseLoss
from .utils import labels_to_binary


@MODELS.register_module()
class FocalLoss(BaseLoss):
    """Sigmoid focal loss (`Lin et al. <https://arxiv.org/abs/1708.02002>`_), as in RetinaNet.

    Per class, binary cross-entropy scaled by ``alpha_t * (1 - p_t) ** gamma``, where ``p_t`` is
    the probability given to the true answer (present or absent) and ``alpha_t`` is ``alpha``
    for present classes and ``1 - alpha`` for absent ones: easy, well-classified anchors count
    little, so the rare foreground is not drowned by the background.

    ``pred`` holds logits ``(N, C)`` (probabilities with ``activated=True``). ``target`` is either
    binary (or soft) of the same shape, or class indices ``(N, )`` in ``[0, C]`` where ``C`` is
    mmdet's background index (no class present). ``weight`` may be ``(N, )``, ``(N, C)`` or
    ``(N * C, )``.

    Example:
        >>> import torch
        >>> loss = FocalLoss(gamma=2.0, alpha=0.25)
        >>> logits = torch.tensor([[3.0, -2.0], [0.0, 0.0]])
        >>> labels = torch.tensor([0, 2])  # class 0; background
        >>> loss(logits, labels, reduction_override='none')
        tensor([[2.7321e-05, 1.3527e-03],
                [1.2997e-01, 1.2997e-01]])

    Args:
        use_sigmoid: Must be True (mmdet's argument, accepted so that its configs build; heads
            read it to size their classifier: ``C`` outputs, no background logit).
        gamma: Focusing exponent, >= 0 (0 gives alpha-balanced cross-entropy).
        alpha: Weight of present classes, in ``[0, 1]``.
        activated: Whether ``pred`` is already probabilities rather than logits.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``.
        loss_weight: Factor applied to the reduced loss.
    """

    def __init__(self,
                 use_sigmoid: bool = True,
                 gamma: float = 2.0,
                 alpha: float = 0.25,
                 activated: bool = False,
                 reduction: str = 'mean',
                 loss_weight: float = 1.0):
        super().__init__(reduction=reduction, loss_weight=loss_weight)
        if use_sigmoid is not True:
            raise ValueError('FocalLoss: only the sigmoid form exists, use_sigmoid must be True, '
                             f'got {use_sigmoid!r}')
        if gamma < 0:
            raise ValueError(f'FocalLoss: gamma must be >= 0, got {gamma}')
        if not 0 <= alpha <= 1:
            raise ValueError(f'FocalLoss: alpha must be in [0, 1], got {alpha}')
        self.use_sigmoid = use_sigmoid
        self.gamma = gamma
        self.alpha = alpha
        self.activated = activated

    def elementwise_loss(self, pred: Tensor, target: Tensor) -> Tensor:
        num_classes = pred.shape[-1]
        if target.dim() == pred.dim() - 1:
            if target.numel() and (target.min() < 0 or target.max() > num_classes):
                raise ValueError(f'FocalLoss: class indices must be in [0, {num_classes}] '
                                 f'({num_classes} is the background), got values in '
                                 f'[{target.min().item()}, {target.max().item()}]')
            target = labels_to_binary(target, num_classes)
        self.check_same_shape(pred, target)
        target = target.type_as(pred)
        if self.activated:
            prob = pred
            ce = F.binary_cross_entropy(pred, target, reduction='none')
        else:
            prob = pred.sigmoid()
            ce = F.binary_cross_entropy_with_logits(pred, target, reduction='none')
        one_minus_pt = (1 - prob) * target + prob * (1 - target)
        alpha_t = self.alpha * target + (1 - self.alpha) * (1 - target)
        return ce * (alpha_t * one_minus_pt.pow(self.gamma))

    def extra_repr(self) -> str:
        return (f'gamma={self.gamma}, alpha={self.alpha}, activated={self.activated}, ' +
                super().extra_repr())


__all__ = ['FocalLoss']
