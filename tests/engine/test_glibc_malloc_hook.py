"""GlibcMallocHook: a Runner built from a zoo config keeps the memory a training step frees for
the next step.

The allocator is process-wide, so each case runs in its own Python process: the Runner of the
LeNet-5 config trains there (the training benchmark's loop, on synthetic images), and the page
faults of its iterations are counted.
"""
import ctypes
import json
import os
import subprocess
import sys

import pytest

from zoo.engine.hooks import GlibcMallocHook
from zoo.engine.hooks.glibc_malloc_hook import MAX_MMAP_THRESHOLD, MAX_TRIM_THRESHOLD

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GLIBC = hasattr(ctypes.CDLL(None), 'gnu_get_libc_version')

TRAIN = r'''
import json, statistics, sys
from mmengine.config import Config
import zoo
from zoo.analysis.training_benchmark import RunnerLoop, TrainingBenchSettings
cfg = Config.fromfile('configs/lenet/lenet5_1xb64_digits.py')
cfg.default_hooks.host_malloc.enable = sys.argv[1] == 'on'
loop = RunnerLoop(cfg, TrainingBenchSettings(synthetic=True, iters=10, warmup=3))
for _ in range(3):
    loop.round()
hook = next(h for h in loop.runner.hooks if type(h).__name__ == 'GlibcMallocHook')
print(json.dumps(dict(faults=statistics.median(loop.faults), not_applied=hook.not_applied)))
'''


def train(hook: str, env: dict = None) -> dict:
    """The median page faults an iteration of three rounds of 10, and what the hook said."""
    env = {k: v for k, v in os.environ.items() if not k.startswith('MALLOC_')} | (env or {})
    out = subprocess.run([sys.executable, '-c', TRAIN, hook],
                         cwd=REPO,
                         env=env,
                         capture_output=True,
                         text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not GLIBC, reason='the hook acts on glibc only')
def test_the_config_default_hook_stops_the_page_faults_of_training_steps():
    on, off = train('on'), train('off')
    assert on['not_applied'] is None and off['not_applied'] == 'enable=False'
    # glibc's adaptive thresholds: 450-1,500 pages a LeNet-5 iteration; fixed: 0-30
    assert off['faults'] > 200, off
    assert on['faults'] * 5 < off['faults'], (on, off)


@pytest.mark.skipif(not GLIBC, reason='the hook acts on glibc only')
def test_environment_thresholds_win_and_the_hook_says_so():
    result = train('on', env=dict(MALLOC_TRIM_THRESHOLD_='1000'))
    assert 'MALLOC_TRIM_THRESHOLD_' in result['not_applied']


@pytest.mark.parametrize('kwargs, name', [
    (dict(mmap_threshold=MAX_MMAP_THRESHOLD + 1), 'mmap_threshold'),
    (dict(mmap_threshold=-1), 'mmap_threshold'),
    (dict(trim_threshold=MAX_TRIM_THRESHOLD + 1), 'trim_threshold'),
    (dict(trim_threshold=1.5e9), 'trim_threshold'),
    (dict(mmap_threshold=True), 'mmap_threshold'),
])
def test_bad_thresholds_are_refused_by_name(kwargs, name):
    with pytest.raises(ValueError, match=f'GlibcMallocHook: {name} must be an int'):
        GlibcMallocHook(**kwargs)
