from typing import Optional

from mmengine.hooks import CheckpointHook

from zoo.registry import HOOKS
from zoo.utils.atomic_local_backend import AtomicLocalBackend  # noqa: F401 (registers it)
from zoo.utils.checkpoint import from_plain_checkpoint, to_plain_checkpoint


@HOOKS.register_module()
class SafeCheckpointHook(CheckpointHook):
    """MMEngine's ``CheckpointHook`` with checkpoints that resume under torch >= 2.6.

    * Checkpoints are written as tensors and plain data only (the message hub's
      ``HistoryBuffer`` and numpy values are tagged and restored on load), so
      ``torch.load(weights_only=True)`` reads them and ``--resume`` works on MMEngine 0.10.7
      without allowing any extra, code-running global.
    * Files are written atomically (``zoo_atomic_local`` backend): a run killed while saving
      never leaves a truncated checkpoint; ``last_checkpoint`` is only updated afterwards.

    It takes every argument of ``CheckpointHook``; ``default_runtime.py`` uses it as the
    ``checkpoint`` default hook.
    """

    def __init__(self, *args, backend_args: Optional[dict] = None, **kwargs):
        if backend_args is None:
            backend_args = dict(backend='zoo_atomic_local')
        super().__init__(*args, backend_args=backend_args, **kwargs)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        to_plain_checkpoint(checkpoint)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        from_plain_checkpoint(checkpoint)
