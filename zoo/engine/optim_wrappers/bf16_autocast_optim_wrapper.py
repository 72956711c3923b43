from contextlib import contextmanager

import torch
from mmengine.optim import OptimWrapper
from mmengine.runner.amp import autocast
from torch import nn

from zoo.registry import OPTIM_WRAPPERS


@OPTIM_WRAPPERS.register_module()
class BF16AutocastOptimWrapper(OptimWrapper):
    """Mixed precision with bfloat16 autocast, on any device, the CPU included.

    MMEngine's ``AmpOptimWrapper`` refuses to run without an accelerator. bfloat16 has float32's
    exponent range, so it needs no loss scaling: the forward runs under ``torch.autocast`` and
    the rest is the plain ``OptimWrapper``. ``tools/train.py --amp`` picks it when CUDA is absent.
    """

    @contextmanager
    def optim_context(self, model: nn.Module):
        with super().optim_context(model), autocast(dtype=torch.bfloat16):
            yield
