from pathlib import Path
from typing import Union

from mmengine.fileio import LocalBackend, register_backend

from .atomic import atomic_write_bytes


@register_backend('zoo_atomic_local')
class AtomicLocalBackend(LocalBackend):
    """MMEngine's local file backend, but a file is either wholly written or not there at all.

    ``put`` writes to a temporary file in the target's folder and renames it over the target
    (:func:`zoo.utils.atomic.atomic_write_bytes`), so a run killed while saving a checkpoint
    leaves the previous file intact instead of a truncated one that ``--resume`` would then
    choke on.
    """

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        atomic_write_bytes(obj, filepath)

    def put_text(self, obj: str, filepath: Union[str, Path], encoding: str = 'utf-8') -> None:
        self.put(obj.encode(encoding), filepath)
