from .class_check_hook import ClassCheckHook
from .eager_param_update_hook import EagerParamUpdateHook
from .freeze_hook import FreezeHook
from .glibc_malloc_hook import GlibcMallocHook
from .precise_bn_hook import PreciseBNHook
from .progress_bar_hook import ProgressBarHook
from .safe_checkpoint_hook import SafeCheckpointHook
from .visualization_hook import VisualizationHook

__all__ = [
    'SafeCheckpointHook', 'FreezeHook', 'ClassCheckHook', 'VisualizationHook', 'PreciseBNHook',
    'ProgressBarHook', 'EagerParamUpdateHook', 'GlibcMallocHook'
]
