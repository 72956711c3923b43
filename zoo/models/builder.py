from mmengine.config import Config
from torch import nn

from zoo.registry import MODELS


def build_model_from_cfg(cfg: Config) -> nn.Module:
    """Build ``cfg.model`` as the Runner would: with the data set config's top-level
    ``data_preprocessor`` merged in when the model does not set its own."""
    model_cfg = cfg.model.copy()
    if cfg.get('data_preprocessor') is not None:
        model_cfg.setdefault('data_preprocessor', cfg.data_preprocessor)
    return MODELS.build(model_cfg)


def input_channels(model: nn.Module) -> int:
    """Image channels ``model`` takes: those of its first convolution (1 for LeNet-5 on digits,
    3 for RGB models; a ViT's patch embedding is a convolution too)."""
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            return module.in_channels
    raise ValueError(f'{type(model).__name__} has no convolution to tell its input channels')
