from .class_check_hook import ClassCheckHook
from .freeze_hook import FreezeHook
from .safe_checkpoint_hook import SafeCheckpointHook
from .visualization_hook import VisualizationHook

__all__ = ['SafeCheckpointHook', 'FreezeHook', 'ClassCheckHook', 'VisualizationHook']
