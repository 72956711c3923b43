from .class_check_hook import ClassCheckHook
from .freeze_hook import FreezeHook
from .safe_checkpoint_hook import SafeCheckpointHook

__all__ = ['SafeCheckpointHook', 'FreezeHook', 'ClassCheckHook']
