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
