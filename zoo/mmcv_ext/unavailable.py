"""The error for an mmcv op that zoo's torchvision-backed ``mmcv._ext`` does not provide."""
from typing import Callable

INSTALL_HINT = ('install mmcv 2.1.0 built with its ops instead of mmcv-lite '
                '(ZOO_MMCV=compiled bash tools/setup_env.sh)')


def not_implemented(name: str, detail: str = '') -> NotImplementedError:
    what = f'mmcv._ext.{name}' + (f' with {detail}' if detail else '')
    return NotImplementedError(
        f"{what} needs mmcv built with ops: mmcv-lite has no compiled ops and zoo's "
        f'torchvision-backed mmcv._ext (zoo/mmcv_ext) does not implement it; {INSTALL_HINT}')


def unavailable(name: str) -> Callable:
    """A stand-in that exists (mmcv's ``load_ext`` checks names at import) and raises if called."""

    def op(*args, **kwargs):
        raise not_implemented(name)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = 'Not available without compiled mmcv ops: calling it raises.'
    return op
