from .freeze_hook import FreezeHook
from .precise_bn_hook import PreciseBNHook
from .safe_checkpoint_hook import SafeCheckpointHook

__all__ = ['SafeCheckpointHook', 'FreezeHook', 'PreciseBNHook']
