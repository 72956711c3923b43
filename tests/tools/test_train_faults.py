"""Faults a careful user tries on the real tools/train.py: kill -9 (and SIGTERM) at the moments
of a checkpoint save, two runs on one work dir, and resume of the stock digits config, which
must continue bit for bit.

The moments are reached deterministically: ``ZOO_TEST_PAUSE=<moment>:<file>[:<n>]`` makes zoo's
atomic write (``zoo/utils/atomic.py``) stop there and create a marker file; the test then sends
a real signal to the real process. Every wait is bounded.
"""
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import List, Optional

import pytest
import torch

from tests.conftest import REPO_ROOT, run_tool

CONFIG = 'configs/lenet/lenet5_1xb64_digits.py'
WAIT_S = 600  # a bound, not an expectation: the machine may be loaded


@pytest.fixture(scope='module')
def digits(tmp_path_factory) -> Path:
    """The data the stock config trains on, made by the stock converter."""
    out = tmp_path_factory.mktemp('data') / 'digits'
    run_tool('tools/dataset_converters/digits_to_imagefolder.py', '--out', str(out))
    return out


def options(digits: Path, *extra: str, subset: Optional[int] = 192) -> List[str]:
    """``--cfg-options`` that point the stock config at ``digits``; ``subset`` trains on the
    first images only (3 iterations an epoch), for speed. A checkpoint every epoch, one kept
    (the setting under which a badly ordered save loses everything)."""
    roots = [
        f'{loader}.dataset.data_root={digits}'
        for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
    ]
    if subset is not None:
        roots.append(f'train_dataloader.dataset.indices={subset}')
    return [
        '--cfg-options', *roots, 'default_hooks.checkpoint.interval=1',
        'default_hooks.checkpoint.max_keep_ckpts=1', *extra
    ]


def env(**extra: str) -> dict:
    return dict(os.environ, PYTHONUNBUFFERED='1', OMP_NUM_THREADS='1', **extra)


def train(work_dir: Path,
          cfg_options: List[str],
          *args: str,
          check: bool = True) -> subprocess.CompletedProcess:
    """Run train.py to its end; ``.stdout`` holds its whole log (stderr merged)."""
    result = subprocess.run([
        sys.executable, 'tools/train.py', CONFIG, '--work-dir',
        str(work_dir), *args, *cfg_options
    ],
                            cwd=REPO_ROOT,
                            env=env(),
                            stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT,
                            text=True,
                            timeout=WAIT_S)
    if check and result.returncode != 0:
        raise AssertionError(f'train.py failed ({result.returncode}):\n{result.stdout[-6000:]}')
    return result


class Paused:
    """A train.py run stopped at a moment of a save, until the test signals it."""

    def __init__(self, tmp_path: Path, work_dir: Path, cfg_options: List[str], moment: str):
        self.mark = tmp_path / f'paused-{time.monotonic_ns()}'
        self.log = tmp_path / f'{work_dir.name}-{time.monotonic_ns()}.log'
        with open(self.log, 'w') as log:
            self.process = subprocess.Popen([
                sys.executable, 'tools/train.py', CONFIG, '--work-dir',
                str(work_dir), *cfg_options
            ],
                                            cwd=REPO_ROOT,
                                            stdout=log,
                                            stderr=subprocess.STDOUT,
                                            env=env(
                                                ZOO_TEST_PAUSE=moment,
                                                ZOO_TEST_PAUSE_MARK=str(self.mark)))
        deadline = time.monotonic() + WAIT_S
        while not self.mark.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.process.kill()
                raise AssertionError(f'train.py never reached {moment}:\n'
                                     f'{self.log.read_text()[-6000:]}')
            time.sleep(0.1)

    def signal(self, signum: int = signal.SIGKILL) -> None:
        self.process.send_signal(signum)
        self.process.wait(timeout=60)
        assert self.process.returncode == -signum


def tensors(obj, prefix: str = ''):
    if isinstance(obj, torch.Tensor):
        yield prefix, obj
    elif isinstance(obj, dict):
        for key, value in obj.items():
            yield from tensors(value, f'{prefix}.{key}')
    elif isinstance(obj, (list, tuple)):
        for i, value in enumerate(obj):
            yield from tensors(value, f'{prefix}[{i}]')


def max_abs_diff(a: Path, b: Path) -> float:
    """Over every tensor of the two checkpoints (weights, buffers, optimizer state)."""
    first, second = (
        dict(
            tensors({
                k: v
                for k, v in torch.load(p, weights_only=True).items()
                if k in ('state_dict', 'optimizer')
            })) for p in (a, b))
    assert first.keys() == second.keys() and first
    return max(
        (first[k].double() - second[k].double()).abs().max().item() if first[k].numel() else 0.0
        for k in first)


def leftovers(work_dir: Path) -> List[str]:
    return sorted(p.name for p in work_dir.iterdir() if p.name.startswith('.tmp-'))


def test_kill_during_rename_then_resume_is_bit_exact(tmp_path, digits):
    """kill -9 with the new checkpoint complete but not yet in place: the old one survives
    (max_keep_ckpts=1), and the resumed run (validating every epoch, which must not shift the
    random crops) ends bit for bit where an uninterrupted run ends."""
    cfg_options = options(digits, 'train_cfg.max_epochs=3', 'train_cfg.val_interval=1')
    straight = tmp_path / 'straight'
    train(straight, cfg_options)

    work_dir = tmp_path / 'killed'
    Paused(tmp_path, work_dir, cfg_options, 'rename:epoch_2.pth').signal()
    assert (work_dir / 'last_checkpoint').read_text() == 'epoch_1.pth'  # relative
    assert torch.load(work_dir / 'epoch_1.pth', weights_only=True)['meta']['epoch'] == 1
    assert len(leftovers(work_dir)) == 1  # the complete, never renamed epoch_2

    log = train(work_dir, cfg_options, '--resume').stdout
    assert 'left by a save that was interrupted' in log and not leftovers(work_dir)
    assert f'resuming from {work_dir / "epoch_1.pth"}' in log
    assert 'resumed epoch: 1, iter: 3' in log
    assert max_abs_diff(straight / 'epoch_3.pth', work_dir / 'epoch_3.pth') == 0


@pytest.mark.slow
@pytest.mark.parametrize(
    'moment, signum, resumes_from, says',
    [
        ('write:epoch_2.pth', signal.SIGKILL, 'epoch_1.pth', 'named by'),
        ('write:epoch_2.pth', signal.SIGTERM, 'epoch_1.pth', 'named by'),
        # the first last_checkpoint: epoch_1.pth is complete, last_checkpoint not there yet
        ('write:last_checkpoint', signal.SIGKILL, 'epoch_1.pth', 'does not exist; resuming from '
         'the newest complete checkpoint'),
        # the second: epoch_2.pth complete, the old last_checkpoint intact, epoch_1 not deleted
        ('rename:last_checkpoint:2', signal.SIGKILL, 'epoch_1.pth', 'named by'),
    ])
def test_kill_at_each_moment_of_a_save_loses_nothing(tmp_path, digits, moment, signum, resumes_from,
                                                     says):
    cfg_options = options(digits, 'train_cfg.max_epochs=3')
    work_dir = tmp_path / 'work'
    Paused(tmp_path, work_dir, cfg_options, moment).signal(signum)
    assert (work_dir / resumes_from).is_file()

    log = train(work_dir, cfg_options, '--resume').stdout
    assert f'{work_dir / resumes_from}' in log and says in log, log[-3000:]
    assert not leftovers(work_dir)
    assert (work_dir / 'last_checkpoint').read_text() == 'epoch_3.pth'
    assert sorted(p.name for p in work_dir.glob('*.pth')) == ['epoch_3.pth']


def test_second_run_on_a_work_dir_is_refused_and_a_stale_lock_taken_over(tmp_path, digits):
    """Two real runs on one work dir; then the first crashes and a third takes over."""
    cfg_options = options(digits, 'train_cfg.max_epochs=1', subset=64)
    work_dir = tmp_path / 'work'
    first = Paused(tmp_path, work_dir, cfg_options, 'write:epoch_1.pth')  # alive, mid-save

    second = train(work_dir, cfg_options, check=False)
    assert second.returncode != 0
    assert (f'work dir {work_dir} is in use by pid {first.process.pid} on host '
            f'{socket.gethostname()}') in second.stdout, second.stdout[-3000:]
    assert len(list(work_dir.glob('20*'))) == 1  # the refused run wrote no log dir

    first.signal(signal.SIGKILL)  # a crash: the lock file stays behind, and no checkpoint
    third = train(work_dir, cfg_options, '--resume').stdout
    assert f'took over the stale lock of work dir {work_dir}: pid {first.process.pid}' in third
    assert 'holds no checkpoint: training starts from scratch' in third
    assert 'Auto resumed from' not in third and not leftovers(work_dir)
    assert (work_dir / 'last_checkpoint').read_text() == 'epoch_1.pth'


@pytest.mark.slow
def test_resume_of_the_stock_digits_config_is_bit_exact(tmp_path, digits):
    """The shipped config on all 1,438 images: 4 epochs straight == 2 epochs, kill -9 while
    saving the third, --resume for the last 2."""
    cfg_options = options(digits, 'train_cfg.max_epochs=4', subset=None)
    straight = tmp_path / 'straight'
    train(straight, cfg_options)
    work_dir = tmp_path / 'resumed'
    Paused(tmp_path, work_dir, cfg_options, 'write:epoch_3.pth').signal()
    log = train(work_dir, cfg_options, '--resume').stdout
    assert 'resumed epoch: 2' in log
    diff = max_abs_diff(straight / 'epoch_4.pth', work_dir / 'epoch_4.pth')
    print(f'max abs diff over every tensor: {diff}')
    assert diff == 0
