"""The work dir's ``last_checkpoint`` file, and which checkpoint ``--resume`` continues from.

``last_checkpoint`` names the newest checkpoint relative to the work dir (so a copied or moved
work dir resumes from its own files) and is replaced atomically. MMEngine writes an absolute
path with a plain ``open('w')``; both forms are read. MMEngine's ``Runner(resume=True)`` finds
its checkpoint through :func:`find_latest_checkpoint` too (set below).
"""
import os
import os.path as osp
import re
import zipfile
from typing import Optional, Tuple

from mmengine.logging import print_log
from mmengine.runner import runner as mmengine_runner

from .atomic import atomic_write_text

LAST_CHECKPOINT = 'last_checkpoint'
# the names CheckpointHook gives resumable checkpoints (filename_tmpl's default); best_*.pth
# hold no optimizer state and are not resumed from
_RESUMABLE = re.compile(r'^(epoch|iter)_(\d+)\.pth$')


def write_last_checkpoint(work_dir: str, checkpoint: str) -> None:
    """Point ``<work_dir>/last_checkpoint`` at ``checkpoint``, relative to ``work_dir`` where
    it lies inside it."""
    path = osp.abspath(checkpoint)
    relative = osp.relpath(path, osp.abspath(work_dir))
    if not relative.startswith(os.pardir):
        path = relative
    atomic_write_text(path, osp.join(work_dir, LAST_CHECKPOINT))


def read_last_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint ``last_checkpoint`` names (made absolute), or None if it names none."""
    try:
        with open(osp.join(work_dir, LAST_CHECKPOINT), encoding='utf-8') as f:
            named = f.read().strip()
    except (FileNotFoundError, UnicodeDecodeError):
        return None
    if not named:
        return None
    return named if osp.isabs(named) else osp.join(work_dir, named)


def is_complete_checkpoint(path: str) -> bool:
    """Whether ``path`` is a whole ``torch.save`` zip archive (its central directory, written
    last, is there)."""
    return osp.isfile(path) and zipfile.is_zipfile(path)


def newest_complete_checkpoint(work_dir: str) -> Optional[str]:
    """The most recently written complete ``epoch_N.pth`` / ``iter_N.pth`` of ``work_dir``."""
    if not osp.isdir(work_dir):
        return None
    found = [
        entry for entry in os.scandir(work_dir)
        if _RESUMABLE.match(entry.name) and is_complete_checkpoint(entry.path)
    ]
    if not found:
        return None
    newest = max(found, key=lambda e: (e.stat().st_mtime, int(_RESUMABLE.match(e.name)[2])))
    return newest.path


def find_resume_checkpoint(work_dir: str) -> Tuple[Optional[str], str]:
    """The checkpoint ``--resume`` continues from, and a sentence that says why.

    ``last_checkpoint`` if it names a complete file; else (missing, empty, dangling, naming a
    damaged file) the newest complete checkpoint of the work dir; else None: training starts
    from scratch.
    """
    last_file = osp.join(work_dir, LAST_CHECKPOINT)
    named = read_last_checkpoint(work_dir)
    if named is not None and is_complete_checkpoint(named):
        return named, f'resuming from {named} (named by {last_file})'
    if not osp.exists(last_file):
        problem = f'{last_file} does not exist'
    elif named is None:
        problem = f'{last_file} is empty'
    elif not osp.exists(named):
        problem = f'{last_file} names {named}, which does not exist'
    else:
        problem = f'{last_file} names {named}, which is not a complete checkpoint'
    newest = newest_complete_checkpoint(work_dir)
    if newest is not None:
        return newest, f'{problem}; resuming from the newest complete checkpoint, {newest}'
    return None, f'{problem} and {work_dir} holds no checkpoint: training starts from scratch'


def find_latest_checkpoint(work_dir: str) -> Optional[str]:
    """:func:`find_resume_checkpoint` for MMEngine's Runner, which logs only the path."""
    checkpoint, message = find_resume_checkpoint(work_dir)
    print_log(message, logger='current')
    return checkpoint


# Runner.load_or_resume calls the name it imported from mmengine.runner.checkpoint, which reads
# last_checkpoint as a path relative to the current directory and has no fallback.
mmengine_runner.find_latest_checkpoint = find_latest_checkpoint
