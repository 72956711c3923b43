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
        dim: The number of pooled dimensions, 1, 2 (images, the default) or 3, as mmpretrain's
            ``GlobalAveragePooling(dim=...)``.
        output_size: Spatial size after pooling. ``1`` (global pooling) for ResNet-style heads;
            AlexNet (6) and VGG (7) keep a fixed grid whatever the input size, as torchvision's
            adaptive pooling does.
    """

    POOLS = {1: nn.AdaptiveAvgPool1d, 2: nn.AdaptiveAvgPool2d, 3: nn.AdaptiveAvgPool3d}

    def __init__(self, dim: int = 2, output_size: Union[int, Tuple[int, ...]] = 1):
        super().__init__()
        if dim not in self.POOLS:
            raise ValueError(f'GlobalAveragePooling: dim must be 1, 2 or 3, got {dim!r}')
        self.pool = self.POOLS[dim](output_size)

    def forward(self, inputs: Tuple[Tensor, ...]) -> Tuple[Tensor, ...]:
        if not isinstance(inputs, tuple):
            raise TypeError(f'GlobalAveragePooling expects the tuple of feature maps a backbone '
                            f'returns, got {type(inputs).__name__}')
        return tuple(self.pool(x).flatten(1) for x in inputs)
