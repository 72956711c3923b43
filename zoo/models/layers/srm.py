import torch
from mmcv.cnn import build_norm_layer
from torch import Tensor, nn

from zoo.registry import MODELS


@MODELS.register_module()
class SRM(nn.Module):
    """Style-based Recalibration Module (`SRM <https://arxiv.org/abs/1903.10829>`_).

    Style pooling takes the mean and standard deviation of every channel; style integration
    combines the two with a channel-wise fully connected layer (two weights per channel: a
    grouped 1D convolution without bias), a BatchNorm and a sigmoid; the result rescales the
    channel. Four parameters per channel: SRM-ResNet-50 has 25.62 M.

    The standard deviation is the population one with ``eps`` under the root, where the
    authors' code takes the unbiased one: that is NaN on a 1x1 map (the last stage of a
    ResNet on 32 px images) and its gradient is infinite on a constant channel.

    Args:
        in_channels: Channels of the feature map (given by the block when used as a plugin).
        norm_cfg: Norm of the ``(N, C, 1)`` style descriptor (a 1D BatchNorm: in training it
            needs a batch of more than one image).
        eps: Added to the variance before the square root.

    Example:
        >>> import torch
        >>> srm = SRM(64)
        >>> srm.cfc
        Conv1d(64, 64, kernel_size=(2,), stride=(1,), groups=64, bias=False)
        >>> tuple(srm(torch.rand(2, 64, 7, 7)).shape)
        (2, 64, 7, 7)
    """

    def __init__(self, in_channels: int, norm_cfg: dict = dict(type='BN1d'), eps: float = 1e-5):
        super().__init__()
        self.eps = eps
        self.cfc = nn.Conv1d(
            in_channels, in_channels, kernel_size=2, groups=in_channels, bias=False)
        self.norm = build_norm_layer(norm_cfg, in_channels)[1]

    def forward(self, x: Tensor) -> Tensor:
        var, mean = torch.var_mean(x.flatten(2), dim=2, correction=0)
        style = torch.stack([mean, (var + self.eps).sqrt()], dim=2)  # (N, C, 2)
        gate = torch.sigmoid(self.norm(self.cfc(style)))  # (N, C, 1)
        return x * gate.unsqueeze(-1)


__all__ = ['SRM']
