from .checkpoint import (CheckpointMismatchError, DamagedCheckpointError, UnsafeCheckpointError,
                         load_from_local_safely)
from .cpu_distributed import prepare_cpu_distributed
from .last_checkpoint import find_resume_checkpoint
from .setup_env import register_all_modules
from .work_dir_lock import WorkDirInUseError

__all__ = [
    'register_all_modules', 'prepare_cpu_distributed', 'load_from_local_safely',
    'UnsafeCheckpointError', 'DamagedCheckpointError', 'CheckpointMismatchError',
    'WorkDirInUseError', 'find_resume_checkpoint'
]
