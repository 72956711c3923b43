from typing import List

from torch import Tensor, nn
from torchvision.ops import stochastic_depth


class DropPath(nn.Module):
    """Stochastic depth (`Huang et al. <https://arxiv.org/abs/1603.09382>`_) on a residual branch.

    In training, the whole branch output of each sample is zeroed with probability
    ``drop_prob`` and the kept ones are scaled by ``1 / (1 - drop_prob)``, so the expected output
    is unchanged; in evaluation it is the identity. The arithmetic is torchvision's
    ``stochastic_depth(mode='row')`` (what its Swin and ConvNeXt use), so a zoo network and
    torchvision's agree draw for draw under the same seed.

    Args:
        drop_prob: Probability of dropping the branch of a sample, in ``[0, 1)``.

    Example:
        >>> import torch
        >>> drop = DropPath(0.5).train()
        >>> out = drop(torch.ones(1000, 3))
        >>> sorted(out.unique().tolist())       # each sample: dropped (0) or kept and scaled (2)
        [0.0, 2.0]
        >>> torch.equal(drop.eval()(torch.ones(4, 3)), torch.ones(4, 3))
        True
    """

    def __init__(self, drop_prob: float = 0.0):
        super().__init__()
        if not 0.0 <= drop_prob < 1.0:
            raise ValueError(f'DropPath: drop_prob must be in [0, 1), got {drop_prob}')
        self.drop_prob = float(drop_prob)

    def forward(self, x: Tensor) -> Tensor:
        return stochastic_depth(x, self.drop_prob, mode='row', training=self.training)

    def extra_repr(self) -> str:
        return f'drop_prob={self.drop_prob:.3g}'


def drop_path_rates(max_rate: float, num_blocks: int) -> List[float]:
    """The stochastic depth decay rule: rates rising linearly from 0 at the first block to
    ``max_rate`` at the last (as torchvision, mmpretrain and timm), in plain floats so that a
    model can be built on the ``meta`` device.

    Example:
        >>> drop_path_rates(0.2, 5)
        [0.0, 0.05, 0.1, 0.15000000000000002, 0.2]
    """
    if num_blocks <= 1:
        return [0.0] * num_blocks
    return [max_rate * i / (num_blocks - 1) for i in range(num_blocks)]


__all__ = ['DropPath', 'drop_path_rates']
