"""Files and folders that are either wholly written or not there at all.

Checkpoints, ``last_checkpoint`` and converted data sets are written beside their target and
renamed over it (an atomic replace on POSIX), so a run killed at any moment leaves the previous
version intact, never a truncated one. A kill can leave the temporary file behind; its name has
zoo's own pattern (:data:`TEMP_PATTERN`), and :func:`remove_stale_temporaries` removes exactly
those at the next start.

Tests reach the moments in between deterministically through ``ZOO_TEST_PAUSE`` (see
:func:`pause_point`); nothing else reads it.
"""
import os
import os.path as osp
import re
import shutil
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Dict, Iterator, List, Union

TEMP_PREFIX = '.tmp-zoo-'
# the prefix, mkstemp's 8 random characters, '-' and the target's name
TEMP_PATTERN = re.compile(r'^\.tmp-zoo-[a-z0-9_]{8}-(?P<target>.+)$')

PathLike = Union[str, Path]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_pause_counts: Dict[str, int] = {}


def pause_point(moment: str, path: PathLike) -> None:
    """Stop here for good if a test asked to: ``ZOO_TEST_PAUSE=<moment>:<file name>[:<n>]``.

    At the ``n``-th time (default: the first) this moment of writing a file of that name
    comes, the process creates the file ``ZOO_TEST_PAUSE_MARK`` and sleeps, so that a test
    can send a real signal at exactly this moment (``write``: half of the bytes are in the
    temporary file; ``rename``: the temporary file is complete, the target not replaced yet).
    """
    wanted = os.environ.get('ZOO_TEST_PAUSE')
    if not wanted:
        return
    want_moment, want_name, *nth = wanted.split(':')
    if (want_moment, want_name) != (moment, osp.basename(path)):
        return
    key = f'{moment}:{want_name}'
    _pause_counts[key] = _pause_counts.get(key, 0) + 1
    if _pause_counts[key] != (int(nth[0]) if nth else 1):
        return
    Path(os.environ['ZOO_TEST_PAUSE_MARK']).write_text(str(os.getpid()))
    while True:
        time.sleep(60)


def atomic_write_bytes(data: bytes, path: PathLike) -> None:
    """Write ``data`` to ``path`` through a synced temporary file renamed over it.

    The file gets the mode ``open()`` would give it (``0o666`` less the umask), as
    ``torch.save`` does; ``mkstemp`` alone would make it ``0o600``.
    """
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp_path = tempfile.mkstemp(dir=folder, prefix=TEMP_PREFIX, suffix=f'-{osp.basename(path)}')
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, 'wb') as f:
            half = len(data) // 2
            f.write(data[:half])
            pause_point('write', path)
            f.write(data[half:])
            f.flush()
            os.fsync(f.fileno())
        pause_point('rename', path)
        os.replace(tmp_path, path)
    except BaseException:
        os.unlink(tmp_path)
        raise
    _sync_folder(folder)


def atomic_write_text(text: str, path: PathLike, encoding: str = 'utf-8') -> None:
    atomic_write_bytes(text.encode(encoding), path)


def _sync_folder(folder: str) -> None:
    """Make a rename in ``folder`` durable (a power cut could otherwise undo it)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def remove_stale_temporaries(folder: PathLike) -> List[str]:
    """Remove the temporary files of interrupted atomic writes directly in ``folder``.

    Only files named by :data:`TEMP_PATTERN` go; call this only while no other process writes
    into ``folder`` (the work-dir lock is held).

    Returns:
        The removed paths.
    """
    if not osp.isdir(folder):
        return []
    removed = []
    for entry in os.scandir(folder):
        if entry.is_file(follow_symlinks=False) and TEMP_PATTERN.match(entry.name):
            os.unlink(entry.path)
            removed.append(entry.path)
    return sorted(removed)


@contextmanager
def atomic_output_dir(out: PathLike) -> Iterator[str]:
    """Yield a temporary sibling folder of ``out``; on success it replaces ``out`` at once.

    An exception removes the temporary folder; a killed run leaves only ``<out>.incomplete``
    (removed by the next run), never a complete-looking ``out``. An existing ``out`` is moved
    aside first and deleted only after the new one is in place.

    Example:
        >>> with atomic_output_dir('data/shapes') as tmp:  # doctest: +SKIP
        ...     write_everything_into(tmp)
    """
    out = osp.normpath(str(out))
    tmp = f'{out}.incomplete'
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if osp.exists(out):
        old = f'{out}.old'
        shutil.rmtree(old, ignore_errors=True)
        os.rename(out, old)
        os.rename(tmp, out)
        shutil.rmtree(old)
    else:
        os.rename(tmp, out)
