"""One training run per work dir: a lock file that names its holder.

Two runs on one work dir interleave their checkpoints, delete each other's files and point
``last_checkpoint`` at the other's. :func:`work_dir_lock` holds an exclusive ``flock`` on
``<work_dir>/.zoo-lock`` for the whole run and writes the holder's pid, host and command into
it. The kernel releases a ``flock`` when its process dies, however it dies (``kill -9``
included), so a lock file left by a crashed run is recognised as stale and taken over, while a
live holder is refused by name.
"""
import fcntl
import json
import os
import os.path as osp
import socket
import sys
import time
from contextlib import contextmanager
from typing import Callable, Iterator, Optional

LOCK_NAME = '.zoo-lock'


class WorkDirInUseError(RuntimeError):
    """Another live process holds the work dir."""


def _describe(holder: dict) -> str:
    if not holder:
        return 'another process (its lock file names none)'
    started = holder.get('started')
    since = time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(started)) if started else '?'
    return (f'pid {holder.get("pid")} on host {holder.get("host")} (since {since}: '
            f'{holder.get("command", "?")})')


def _read_holder(fd: int) -> dict:
    os.lseek(fd, 0, os.SEEK_SET)
    text = os.read(fd, 1 << 16).decode('utf-8', errors='replace')
    try:
        holder = json.loads(text)
    except ValueError:
        return {}
    return holder if isinstance(holder, dict) else {}


@contextmanager
def work_dir_lock(work_dir: str, log: Optional[Callable[[str], None]] = None) -> Iterator[str]:
    """Hold ``work_dir`` for this process until the block ends.

    Args:
        work_dir: The folder to hold (created if missing).
        log: Where to say that a stale lock was taken over (default: standard error).

    Raises:
        WorkDirInUseError: naming the pid, host and command of the live holder.
    """
    log = log or (lambda message: print(message, file=sys.stderr))
    os.makedirs(work_dir, exist_ok=True)
    path = osp.join(work_dir, LOCK_NAME)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise WorkDirInUseError(
                f'work dir {work_dir} is in use by {_describe(_read_holder(fd))}; wait for that '
                f'run to end or choose another --work-dir (lock file {path})') from None
        stale = _read_holder(fd)
        if stale:
            log(f'took over the stale lock of work dir {work_dir}: {_describe(stale)} ended '
                'without releasing it')
        holder = dict(
            pid=os.getpid(),
            host=socket.gethostname(),
            started=time.time(),
            command=' '.join(sys.argv))
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(holder).encode('utf-8'), 0)
        os.fsync(fd)
        try:
            yield path
        finally:
            os.ftruncate(fd, 0)  # released cleanly: nothing stale for the next run to report
    finally:
        os.close(fd)
