from .checkpoint import load_checkpoint_safely, strip_unsafe_objects
from .setup_env import register_all_modules

__all__ = ['register_all_modules', 'load_checkpoint_safely', 'strip_unsafe_objects']
