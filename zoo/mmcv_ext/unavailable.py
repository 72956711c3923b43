"""The stand-in for an mmcv op that zoo's torchvision-backed ``mmcv._ext`` does not provide."""
from typing import Callable


def unavailable(name: str) -> Callable:
    """Exists (mmcv's ``load_ext`` checks names at import) and, called, names the op."""

    def op(*args, **kwargs):
        raise NotImplementedError(
            f"mmcv._ext.{name} needs mmcv built with ops: mmcv-lite has no compiled ops and "
            f"zoo's torchvision-backed mmcv._ext (zoo/mmcv_ext) does not implement it; install "
            f'mmcv 2.1.0 built with its ops (ZOO_MMCV=compiled bash tools/setup_env.sh)')

    op.__name__ = op.__qualname__ = name
    op.__doc__ = 'Not available without compiled mmcv ops: calling it raises.'
    return op
