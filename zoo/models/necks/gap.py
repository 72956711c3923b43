from typing import Optional, Tuple, Union

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

    A tuple of maps gives a tuple, one tensor gives one tensor (as mmpretrain's and mmdet's).

    Args:
        dim: The number of pooled dimensions, 1, 2 (images, the default) or 3, as mmpretrain's
            ``GlobalAveragePooling(dim=...)``.
        output_size: Spatial size after pooling. ``1`` (global pooling) for ResNet-style heads;
            AlexNet (6) and VGG (7) keep a fixed grid whatever the input size, as torchvision's
            adaptive pooling does.
        kernel_size: mmdet's (its re-identification neck): a fixed ``AvgPool2d(kernel_size,
            stride)`` in place of the adaptive pooling.
        stride: With ``kernel_size``, mmdet's.
    """

    POOLS = {1: nn.AdaptiveAvgPool1d, 2: nn.AdaptiveAvgPool2d, 3: nn.AdaptiveAvgPool3d}

    def __init__(self,
                 dim: int = 2,
                 output_size: Union[int, Tuple[int, ...]] = 1,
                 kernel_size: Optional[Union[int, Tuple[int, int]]] = None,
                 stride: Optional[Union[int, Tuple[int, int]]] = None):
        super().__init__()
        if dim not in self.POOLS:
            raise ValueError(f'GlobalAveragePooling: dim must be 1, 2 or 3, got {dim!r}')
        if kernel_size is None and stride is None:
            self.pool = self.POOLS[dim](output_size)
        elif dim != 2 or kernel_size is None:
            raise ValueError(f'GlobalAveragePooling: kernel_size (mmdet\'s, with stride) needs '
                             f'dim=2, got kernel_size={kernel_size!r}, stride={stride!r}, '
                             f'dim={dim}')
        else:
            self.pool = nn.AvgPool2d(kernel_size, stride)

    def forward(self, inputs: Union[Tensor, Tuple[Tensor, ...]]):
        if isinstance(inputs, Tensor):
            return self.pool(inputs).flatten(1)
        if not isinstance(inputs, tuple):
            raise TypeError(f'GlobalAveragePooling expects the tuple of feature maps a backbone '
                            f'returns (or one map), got {type(inputs).__name__}')
        return tuple(self.pool(x).flatten(1) for x in inputs)
