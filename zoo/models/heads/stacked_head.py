from typing import Optional, Sequence, Tuple

from mmcv.cnn import build_activation_layer, build_norm_layer
from mmengine.model import BaseModule, ModuleList
from torch import Tensor, nn

from zoo.registry import MODELS
from .cls_head import ClsHead


class LinearBlock(BaseModule):
    """``Linear -> [norm] -> [activation] -> [Dropout]``, one layer of
    :class:`StackedLinearClsHead` (mmpretrain's ``LinearBlock``: the same attribute names, so
    the state-dict keys are ``layers.<i>.fc.*`` and ``layers.<i>.norm.*`` in both)."""

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 dropout_rate: float = 0.0,
                 norm_cfg: Optional[dict] = None,
                 act_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        self.fc = nn.Linear(in_channels, out_channels)
        self.norm = build_norm_layer(norm_cfg, out_channels)[1] if norm_cfg else None
        self.act = build_activation_layer(act_cfg) if act_cfg else None
        self.dropout = nn.Dropout(dropout_rate) if dropout_rate > 0 else None

    def forward(self, x: Tensor) -> Tensor:
        for layer in (self.fc, self.norm, self.act, self.dropout):
            if layer is not None:
                x = layer(x)
        return x


@MODELS.register_module()
class StackedLinearClsHead(ClsHead):
    """A multi-layer perceptron head with dropout, as AlexNet, VGG, LeNet-5 and MobileNetV3
    classify (mmpretrain's ``StackedLinearClsHead``: the same arguments and keys).

    Each entry of ``mid_channels`` adds a :class:`LinearBlock` ``Linear -> [norm] ->
    activation -> Dropout``; a final bare ``Linear`` block (``fc``) gives the logits. The input
    is flattened first, so a backbone's ``C x H x W`` grid (after
    ``GlobalAveragePooling(output_size=7)`` for VGG) feeds it directly.

    Example:
        >>> head = StackedLinearClsHead(1000, 512 * 7 * 7, [4096, 4096], dropout_rate=0.5)
        >>> head((torch.rand(2, 512 * 7 * 7), )).shape
        torch.Size([2, 1000])
        >>> [key for key in head.state_dict()][-2:]
        ['layers.2.fc.weight', 'layers.2.fc.bias']

    Args:
        num_classes: Number of classes.
        in_channels: Number of input features after flattening.
        mid_channels: Widths of the hidden layers.
        dropout_rate: Dropout probability after each hidden layer (0 disables it).
        norm_cfg: Norm after each hidden ``Linear`` (mmpretrain's; None: none).
        act_cfg: Activation after each hidden layer.
        init_cfg: Initialisation config (normal, std 0.01, as torchvision's VGG; mmpretrain's
            default is PyTorch's own ``Linear`` initialisation, ``init_cfg=None`` here).
        **kwargs: ``loss``, ``topk``, ``cal_acc`` of :class:`ClsHead`.
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 mid_channels: Sequence[int],
                 dropout_rate: float = 0.0,
                 norm_cfg: Optional[dict] = None,
                 act_cfg: Optional[dict] = dict(type='ReLU'),
                 init_cfg: Optional[dict] = dict(type='Normal', layer='Linear', std=0.01),
                 **kwargs):
        super().__init__(init_cfg=init_cfg, **kwargs)
        if num_classes <= 0:
            raise ValueError(f'StackedLinearClsHead: num_classes must be positive, '
                             f'got {num_classes}')
        if isinstance(mid_channels, int) or not mid_channels:
            raise ValueError('StackedLinearClsHead: mid_channels must be a sequence naming at '
                             f'least one hidden layer (use LinearClsHead for none), got '
                             f'{mid_channels!r}')
        if not 0.0 <= dropout_rate < 1.0:
            raise ValueError(f'StackedLinearClsHead: dropout_rate must be in [0, 1), '
                             f'got {dropout_rate}')
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.mid_channels = list(mid_channels)
        widths = [in_channels, *self.mid_channels]
        self.layers = ModuleList(
            LinearBlock(width_in, width_out, dropout_rate, norm_cfg, act_cfg)
            for width_in, width_out in zip(widths, self.mid_channels))
        self.layers.append(LinearBlock(self.mid_channels[-1], num_classes))

    @property
    def fc(self) -> LinearBlock:
        """The last block, which gives the logits (mmpretrain's name)."""
        return self.layers[-1]

    def pre_logits(self, feats: Tuple[Tensor, ...]) -> Tensor:
        """The features after the hidden layers: what the last ``Linear`` reads."""
        x = super().pre_logits(feats)
        for layer in self.layers[:-1]:
            x = layer(x)
        return x

    def forward(self, feats: Tuple[Tensor, ...]) -> Tensor:
        return self.fc(self.pre_logits(feats))
