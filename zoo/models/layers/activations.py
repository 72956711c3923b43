"""Activations that mmcv does not register, registered under torch's names."""
from torch import nn

from zoo.registry import MODELS

# mmcv's HSigmoid computes the same in three kernels and warns at every construction;
# torch's is one fused kernel. MobileNetV3's SE gates use it.
MODELS.register_module(name='Hardsigmoid', module=nn.Hardsigmoid)
