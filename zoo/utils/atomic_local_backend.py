import os
import os.path as osp
import tempfile
from pathlib import Path
from typing import Union

from mmengine.fileio import LocalBackend, register_backend


@register_backend('zoo_atomic_local')
class AtomicLocalBackend(LocalBackend):
    """MMEngine's local file backend, but a file is either wholly written or not there at all.

    ``put`` writes to a temporary file in the target's folder and renames it over the target
    (an atomic replace on POSIX), so a run killed while saving a checkpoint leaves the previous
    file intact instead of a truncated one that ``--resume`` would then choke on.
    """

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        folder = osp.dirname(osp.abspath(filepath))
        os.makedirs(folder, exist_ok=True)
        fd, tmp_path = tempfile.mkstemp(dir=folder, prefix='.tmp-', suffix=osp.basename(filepath))
        try:
            with os.fdopen(fd, 'wb') as f:
                f.write(obj)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp_path, filepath)
        except BaseException:
            os.unlink(tmp_path)
            raise

    def put_text(self, obj: str, filepath: Union[str, Path], encoding: str = 'utf-8') -> None:
        self.put(obj.encode(encoding), filepath)
