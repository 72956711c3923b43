"""GlibcMallocHook: a Runner built from a zoo config keeps the memory a training step frees for
the next step.

The allocator is process-wide, so each case runs in its own Python process: the Runner of the
LeNet-5 config trains there (the training benchmark's loop, on synthetic images), or blocks are
allocated and freed again as a training step's activations, and the page faults are counted.
"""
import ctypes
import json
import os
import resource
import subprocess
import sys

import pytest

from zoo.engine.hooks import GlibcMallocHook
from zoo.engine.hooks.glibc_malloc_hook import MAX_INT, MAX_MMAP_THRESHOLD

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GLIBC = hasattr(ctypes.CDLL(None), 'gnu_get_libc_version')

TRAIN = r"""
import json, statistics, sys
from mmengine.config import Config
import zoo
from zoo.analysis.training_benchmark import RunnerLoop, TrainingBenchSettings
cfg = Config.fromfile('configs/lenet/lenet5_1xb64_digits.py')
loop = RunnerLoop(cfg, TrainingBenchSettings(synthetic=True, iters=10, warmup=3))
for _ in range(3):
    loop.round()
hook = next(h for h in loop.runner.hooks if type(h).__name__ == 'GlibcMallocHook')
print(json.dumps(dict(faults=statistics.median(loop.faults), not_applied=hook.not_applied)))
"""

# As a training step: `count` blocks of `size` bytes allocated, touched, held together and freed,
# seven times; the median of the page faults each time.
ALLOCATE = r"""
import json, resource, statistics, sys, torch
from zoo.engine.hooks import GlibcMallocHook
hook = GlibcMallocHook(**json.loads(sys.argv[1]))
size, count = int(sys.argv[2]), int(sys.argv[3])
faults = []
for _ in range(7):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    blocks = [torch.empty(size // 4).fill_(1.0) for _ in range(count)]
    del blocks
    faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
print(json.dumps(dict(faults=statistics.median(faults), not_applied=hook.not_applied)))
"""
MIB = 2**20
PAGES = MIB // resource.getpagesize()  # of one MiB


def run(script: str, *args: str, env: dict = None) -> dict:
    """The JSON that ``script`` prints last, run with ``args`` in a process of its own whose
    environment holds no malloc settings but ``env``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith('MALLOC_')} | (env or {})
    out = subprocess.run([sys.executable, '-c', script, *args],
                         cwd=REPO,
                         env=env,
                         capture_output=True,
                         text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def allocate(hook: dict, size: int, count: int, env: dict = None) -> dict:
    return run(ALLOCATE, json.dumps(hook), str(size), str(count), env=env)


def huge_pages_always() -> bool:
    path = '/sys/kernel/mm/transparent_hugepage/enabled'
    return os.path.exists(path) and '[always]' in open(path).read()


glibc_only = pytest.mark.skipif(not GLIBC, reason='the hook acts on glibc only')
small_pages = pytest.mark.skipif(huge_pages_always(), reason='2 MiB pages fault 512 times less')

# glibc's own adaptive thresholds fault or not by the order of the first frees: LeNet-5 faulted
# 450-1,500 pages an iteration in most runs and none in some, the blocks below 32,000 pages a
# time in some runs and none in others. What the hook guarantees is the steady case.


@glibc_only
def test_the_runner_of_a_zoo_config_applies_the_hook_and_its_steps_stop_faulting():
    result = run(TRAIN)
    assert result['not_applied'] is None
    assert result['faults'] < 100, result  # measured 0-30


@glibc_only
@small_pages
def test_fixed_thresholds_keep_the_memory_a_step_frees_for_the_next():
    # 128 MiB in 16 MiB blocks: twice the largest trim threshold glibc adapts to
    fixed = allocate({}, 16 * MIB, 8)
    assert fixed['not_applied'] is None
    assert fixed['faults'] < PAGES, fixed


@glibc_only
@small_pages
def test_blocks_above_the_mmap_threshold_come_from_the_heap_with_mmap_max_0():
    mapped = allocate({}, 64 * MIB, 1)
    heap = allocate(dict(mmap_max=0, trim_threshold=-1), 64 * MIB, 1)
    assert mapped['not_applied'] is None and heap['not_applied'] is None
    # above 32 MiB, glibc's largest mmap threshold, a block is mapped on its own each time
    assert mapped['faults'] >= 64 * PAGES - 100, mapped
    # from the heap (a block now and then lands beside the freed one, posix_memalign's padding
    # leaving that a little short, and faults once: hence the median)
    assert heap['faults'] < PAGES, heap


@glibc_only
@pytest.mark.parametrize('variable', ['MALLOC_TRIM_THRESHOLD_', 'MALLOC_MMAP_MAX_'])
def test_environment_settings_win_and_the_hook_says_so(variable):
    result = allocate(dict(mmap_max=0), MIB, 1, env={variable: '65536'})
    assert result['not_applied'] == f'the environment sets {variable}, which glibc already applies'


@pytest.mark.parametrize('kwargs, name', [
    (dict(mmap_threshold=MAX_MMAP_THRESHOLD + 1), 'mmap_threshold'),
    (dict(mmap_threshold=-1), 'mmap_threshold'),
    (dict(trim_threshold=MAX_INT + 1), 'trim_threshold'),
    (dict(trim_threshold=-2), 'trim_threshold'),
    (dict(trim_threshold=1.5e9), 'trim_threshold'),
    (dict(mmap_threshold=True), 'mmap_threshold'),
    (dict(mmap_max=-1), 'mmap_max'),
    (dict(mmap_max=False), 'mmap_max'),
])
def test_bad_settings_are_refused_by_name(kwargs, name):
    with pytest.raises(ValueError, match=f'GlibcMallocHook: {name} must be an int in'):
        GlibcMallocHook(enable=False, **kwargs)
