import math
from collections import OrderedDict
from typing import List, Optional, Tuple, Union

from mmcv.cnn import build_activation_layer
from torch import Tensor, nn

from zoo.registry import MODELS
from ..utils.init import loads_checkpoint
from .cls_head import ClsHead


@MODELS.register_module()
class VisionTransformerClsHead(ClsHead):
    """The classifier of ViT: a linear layer on the class token, optionally after a
    ``Linear -> Tanh`` representation layer (``hidden_dim``, the paper's ImageNet-21k
    pre-training head).

    Layer names are torchvision's ``heads`` and mmpretrain's ``layers``: ``layers.head`` and,
    with ``hidden_dim``, ``layers.pre_logits``. As in both, the classifier starts at zero and
    the representation layer from a truncated normal of std ``sqrt(1 / fan_in)``.

    Args:
        num_classes: Number of classes.
        in_channels: Channels of the class token.
        hidden_dim: Width of the representation layer; ``None`` for none (torchvision's
            ``vit_b_16``: 768 -> 1000 directly).
        act_cfg: Activation of the representation layer.
        init_cfg: Initialisation config, a dict or a list; with a ``type='Pretrained'`` entry
            the loaded ``pre_logits`` is kept (not re-initialised).
        **kwargs: ``loss``, ``topk``, ``cal_acc`` of :class:`ClsHead`.

    Example:
        >>> import torch
        >>> head = VisionTransformerClsHead(num_classes=1000, in_channels=768)
        >>> head((torch.rand(2, 768), )).shape
        torch.Size([2, 1000])
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 hidden_dim: Optional[int] = None,
                 act_cfg: dict = dict(type='Tanh'),
                 init_cfg: Optional[Union[dict, List[dict]]] = dict(
                     type='Constant', layer='Linear', val=0),
                 **kwargs):
        super().__init__(init_cfg=init_cfg, **kwargs)
        if num_classes <= 0:
            raise ValueError(f'VisionTransformerClsHead: num_classes must be positive, '
                             f'got {num_classes}')
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.hidden_dim = hidden_dim
        if hidden_dim is None:
            layers = [('head', nn.Linear(in_channels, num_classes))]
        else:
            layers = [('pre_logits', nn.Linear(in_channels, hidden_dim)),
                      ('act', build_activation_layer(act_cfg)),
                      ('head', nn.Linear(hidden_dim, num_classes))]
        self.layers = nn.Sequential(OrderedDict(layers))

    def init_weights(self) -> None:
        super().init_weights()
        if self.hidden_dim is not None and not loads_checkpoint(self.init_cfg):
            pre_logits = self.layers.pre_logits
            nn.init.trunc_normal_(pre_logits.weight, std=math.sqrt(1 / pre_logits.in_features))
            nn.init.zeros_(pre_logits.bias)

    def forward(self, feats: Tuple[Tensor, ...]) -> Tensor:
        return self.layers(self.pre_logits(feats))


__all__ = ['VisionTransformerClsHead']
