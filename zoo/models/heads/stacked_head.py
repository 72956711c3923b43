from typing import Optional, Sequence, Tuple

from mmcv.cnn import build_activation_layer
from torch import Tensor, nn

from zoo.registry import MODELS
from .cls_head import ClsHead


@MODELS.register_module()
class StackedLinearClsHead(ClsHead):
    """A multi-layer perceptron head with dropout, as AlexNet, VGG and LeNet-5 classify.

    Each entry of ``mid_channels`` adds ``Linear -> activation -> Dropout``; a final ``Linear``
    gives the logits. The input is flattened first, so a backbone's ``C x H x W`` grid (after
    ``GlobalAveragePooling(output_size=7)`` for VGG) feeds it directly.

    Example:
        >>> head = StackedLinearClsHead(1000, 512 * 7 * 7, [4096, 4096], dropout_rate=0.5)
        >>> head((torch.rand(2, 512 * 7 * 7), )).shape
        torch.Size([2, 1000])

    Args:
        num_classes: Number of classes.
        in_channels: Number of input features after flattening.
        mid_channels: Widths of the hidden layers.
        dropout_rate: Dropout probability after each hidden layer (0 disables it).
        act_cfg: Activation after each hidden layer.
        init_cfg: Initialisation config (normal, std 0.01, as torchvision's VGG).
        **kwargs: ``loss``, ``topk``, ``cal_acc`` of :class:`ClsHead`.
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 mid_channels: Sequence[int],
                 dropout_rate: float = 0.0,
                 act_cfg: dict = dict(type='ReLU'),
                 init_cfg: Optional[dict] = dict(type='Normal', layer='Linear', std=0.01),
                 **kwargs):
        super().__init__(init_cfg=init_cfg, **kwargs)
        if not mid_channels:
            raise ValueError('StackedLinearClsHead: mid_channels must name at least one hidden '
                             'layer (use LinearClsHead for none)')
        if not 0.0 <= dropout_rate < 1.0:
            raise ValueError(f'StackedLinearClsHead: dropout_rate must be in [0, 1), '
                             f'got {dropout_rate}')
        self.num_classes = num_classes
        self.in_channels = in_channels
        layers = []
        for width_in, width_out in zip([in_channels, *mid_channels], mid_channels):
            layers += [nn.Linear(width_in, width_out), build_activation_layer(act_cfg)]
            if dropout_rate > 0:
                layers.append(nn.Dropout(dropout_rate))
        layers.append(nn.Linear(mid_channels[-1], num_classes))
        self.layers = nn.Sequential(*layers)

    def forward(self, feats: Tuple[Tensor, ...]) -> Tensor:
        return self.layers(self.pre_logits(feats))
