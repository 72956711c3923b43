"""Build mmpretrain 1.2.0's own components to compare zoo's with (a test dependency)."""
import copy

import numpy as np
import pytest
import torch

mmpretrain = pytest.importorskip('mmpretrain')


def mmpretrain_build(registry_name: str, cfg: dict):
    """Build ``cfg`` with mmpretrain's registry ``registry_name`` in mmpretrain's scope."""
    import mmpretrain.registry as registries
    from mmengine.registry import DefaultScope
    from mmpretrain.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return getattr(registries, registry_name).build(copy.deepcopy(cfg))


def zoo_build(registry_name: str, cfg: dict):
    from mmengine.registry import DefaultScope

    import zoo.registry as registries
    with DefaultScope.overwrite_default_scope('zoo'):
        return getattr(registries, registry_name).build(copy.deepcopy(cfg))


def seed_all(seed: int) -> None:
    """Seed every generator that zoo's and mmpretrain's random parts draw from."""
    import random
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
