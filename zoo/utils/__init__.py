from .checkpoint import UnsafeCheckpointError, load_from_local_safely
from .setup_env import register_all_modules

__all__ = ['register_all_modules', 'load_from_local_safely', 'UnsafeCheckpointError']
