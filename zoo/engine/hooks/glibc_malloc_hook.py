import ctypes
import logging
import os
from typing import Optional

from mmengine.hooks import Hook
from mmengine.logging import print_log

from zoo.registry import HOOKS

# glibc's malloc.h
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
M_MMAP_MAX = -4
MAX_MMAP_THRESHOLD = 32 * 2**20  # glibc's DEFAULT_MMAP_THRESHOLD_MAX on 64-bit systems
MAX_INT = 2**31 - 1  # mallopt takes a C int
NEVER_TRIM = -1  # mallopt's trim threshold that disables trimming
ENVIRONMENT = ('MALLOC_MMAP_THRESHOLD_', 'MALLOC_TRIM_THRESHOLD_', 'MALLOC_MMAP_MAX_')


def set_glibc_malloc_options(mmap_threshold: int,
                             trim_threshold: int,
                             mmap_max: Optional[int] = None) -> Optional[str]:
    """Set glibc malloc's mmap and trim thresholds (and, unless None, its limit on mapped
    blocks) for this process and the processes it forks later; the reason it did not, or None
    where it did."""
    given = [name for name in ENVIRONMENT if name in os.environ]
    if given:
        return f'the environment sets {" and ".join(given)}, which glibc already applies'
    libc = ctypes.CDLL(None) if os.name == 'posix' else None
    if not hasattr(libc, 'gnu_get_libc_version'):
        return 'the C library is not glibc'
    options = [(M_MMAP_THRESHOLD, mmap_threshold), (M_TRIM_THRESHOLD, trim_threshold)]
    if mmap_max is not None:
        options.append((M_MMAP_MAX, mmap_max))
    for option, value in options:
        if libc.mallopt(option, value) != 1:
            return f'glibc refused mallopt({option}, {value})'
    return None


@HOOKS.register_module()
class GlibcMallocHook(Hook):
    """Keep the host memory that a training step frees for the next step, instead of handing it
    back to the kernel and faulting it in again.

    glibc's malloc adapts its thresholds as a program runs: a freed block above the mmap
    threshold is unmapped, and a free top of the heap above the trim threshold (twice the mmap
    threshold, which grows to the largest block freed, at most 32 MiB) is returned to the
    kernel. A CPU training step allocates and frees the same activations every iteration, so
    the next step touches fresh pages again: ResNet-18 on CIFAR, batch 16, faulted 9,000-18,000
    pages a Runner step (5,000-10,000 in a hand-written loop on the same model), and LeNet-5
    1,100-1,500 an iteration (in most runs: how glibc adapts depends on the order of the first
    frees, and some runs settle with none). Fixing the thresholds (which also stops glibc
    adapting them) removes those faults: on the 2-core CI host LeNet-5 trains 25-30% faster,
    and the Runner's ResNet-18 loop is level with the hand-written one (0.994, from 0.927).
    The cost is that up to ``trim_threshold`` bytes of free heap stay with the process, and
    blocks up to ``mmap_threshold`` come from the heap.

    Blocks above 32 MiB (glibc's largest mmap threshold) are still mapped and unmapped on their
    own: ResNet-50 at batch 32 on ImageNet-size images, on the CPU, faulted 0.7-1.0 million
    pages a step. ``mmap_max=0, trim_threshold=-1`` serves every block from the heap and never
    trims it: the faults drop to about 0 and the step runs 12-22% faster (6.2-6.3 s from
    7.1-8.0 s on this host), for a peak resident size 12-25% larger (5.6-6.2 GB from 5.0): the
    heap keeps its high-water mark, and its fragments, for the rest of the run. It is not the
    default for that reason; on a GPU the host allocates little.

    The hook sets them when the Runner builds it, before the data loader's workers fork, so they
    inherit them. Environment variables ``MALLOC_MMAP_THRESHOLD_``, ``MALLOC_TRIM_THRESHOLD_`` or
    ``MALLOC_MMAP_MAX_`` win (glibc read them at start); where the C library is not glibc the
    hook changes nothing and says so. With jemalloc or tcmalloc preloaded the settings reach
    glibc's unused malloc and change nothing. ``default_runtime.py`` adds it as the
    ``host_malloc`` default hook; ``default_hooks.host_malloc.enable=False`` keeps glibc's
    adaptive thresholds (MMEngine refuses ``None`` for a default hook of its own name).

    Args:
        mmap_threshold: Blocks at least this large (bytes) are mapped and unmapped on their
            own; at most 32 MiB, glibc's limit.
        trim_threshold: Free heap top (bytes) above which glibc returns memory to the kernel;
            at most 2**31 - 1; -1 never trims.
        mmap_max: glibc's ``M_MMAP_MAX``, the most blocks mapped on their own at a time: 0
            serves every block from the heap; None leaves glibc's (65,536).
        enable: Whether to set them at all.
    """
    priority = 'VERY_HIGH'

    def __init__(self,
                 mmap_threshold: int = MAX_MMAP_THRESHOLD,
                 trim_threshold: int = 2**30,
                 mmap_max: Optional[int] = None,
                 enable: bool = True):
        for name, value, low, high in (
            ('mmap_threshold', mmap_threshold, 0, MAX_MMAP_THRESHOLD),
            ('trim_threshold', trim_threshold, NEVER_TRIM, MAX_INT),
            ('mmap_max', 0 if mmap_max is None else mmap_max, 0, MAX_INT),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ValueError(f'GlibcMallocHook: {name} must be an int in {low}..{high}, '
                                 f'got {value!r}')
        self.mmap_threshold = mmap_threshold
        self.trim_threshold = trim_threshold
        self.mmap_max = mmap_max
        self.enable = enable
        self.not_applied = set_glibc_malloc_options(mmap_threshold, trim_threshold, mmap_max) \
            if enable else 'enable=False'
        if enable and self.not_applied is not None:
            print_log(
                f'GlibcMallocHook leaves the allocator as it is: {self.not_applied}',
                logger='current',
                level=logging.INFO)
