from typing import Tuple, Union

from torch import Tensor, nn

from zoo.registry import MODELS


@MODELS.register_module()
class GlobalAveragePooling(nn.Module):
    """Average-pool every feature map, then flatten it.

    Example:
        >>> neck = GlobalAveragePooling()
        >>> [o.shape for o in neck((torch.rand(2, 2048, 7, 7), ))]
        [torch.Size([2, 2048])]
        >>> neck = GlobalAveragePooling(output_size=7)  # VGG's grid before its MLP head
        >>> [o.shape for o in neck((torch.rand(2, 512, 9, 9), ))]
        [torch.Size([2, 25088])]

    Args:
        output_size: Spatial size after pooling. ``1`` (global pooling) for ResNet-style heads;
            AlexNet (6) and VGG (7) keep a fixed grid whatever the input size, as torchvision's
            adaptive pooling does.
    """

    def __init__(self, output_size: Union[int, Tuple[int, int]] = 1):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(output_size)

    def forward(self, inputs: Tuple[Tensor, ...]) -> Tuple[Tensor, ...]:
        if not isinstance(inputs, tuple):
            raise TypeError(f'GlobalAveragePooling expects the tuple of feature maps a backbone '
                            f'returns, got {type(inputs).__name__}')
        return tuple(self.pool(x).flatten(1) for x in inputs)
