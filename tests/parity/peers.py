"""Build mmpretrain 1.2.0's own components to compare zoo's with (a test dependency)."""
import copy
from typing import Callable, Optional

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


def assert_backbone_twins(ours,
                          theirs,
                          size=(64, 64),
                          atol: float = 1e-6,
                          one_sided: Optional[Callable[[str], bool]] = None) -> None:
    """zoo's backbone ``ours`` is the peer's ``theirs``: the same state-dict keys and shapes, a
    strict load, equal eval outputs (to ``atol``) on a ``2 x 3 x size`` batch, the same mode of
    every module after ``train()`` (a module only one side has holds no state: see
    ``mmdet_sweep.modes_equal``; where ``one_sided`` is given, its name must pass it too) and
    the same frozen parameters."""
    from tests.parity.mmdet_sweep import modes_equal
    shapes = {k: tuple(v.shape) for k, v in ours.state_dict().items()}
    assert shapes == {k: tuple(v.shape) for k, v in theirs.state_dict().items()}
    ours.load_state_dict(theirs.state_dict(), strict=True)
    x = torch.randn(2, 3, *size, generator=torch.Generator().manual_seed(0))
    ours.eval()
    theirs.eval()
    with torch.no_grad():
        a, b = ours(x), theirs(x)
    assert len(a) == len(b)
    for u, v in zip(a, b):
        torch.testing.assert_close(u, v, rtol=0, atol=atol)
    ours.train()
    theirs.train()
    same_modes, detail = modes_equal(ours, theirs)
    assert same_modes, detail
    if one_sided is not None:
        names = {n for n, _ in ours.named_modules()} ^ {n for n, _ in theirs.named_modules()}
        assert all(one_sided(name) for name in names), sorted(names)
    assert {n for n, p in ours.named_parameters() if not p.requires_grad} == \
        {n for n, p in theirs.named_parameters() if not p.requires_grad}
