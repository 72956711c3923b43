from .checkpoint import UnsafeCheckpointError, load_from_local_safely
from .cpu_distributed import prepare_cpu_distributed
from .setup_env import register_all_modules

__all__ = [
    'register_all_modules', 'prepare_cpu_distributed', 'load_from_local_safely',
    'UnsafeCheckpointError'
]
