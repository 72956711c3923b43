from typing import List, Optional

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook
from mmengine.model import is_model_wrapper

from zoo.registry import HOOKS
from zoo.utils.atomic_local_backend import AtomicLocalBackend  # noqa: F401 (registers it)
from zoo.utils.checkpoint import check_checkpoint_fits, from_plain_checkpoint, to_plain_checkpoint
from zoo.utils.last_checkpoint import write_last_checkpoint
from zoo.utils.rng import get_rng_state, set_rng_state

_RNG_KEY = 'zoo_rng_state'


class _DeferredRemovals:
    """A file backend whose ``remove``/``rmtree`` only note the path (the rest passes through):
    MMEngine's best-checkpoint logic deletes the previous best before saving the new one."""

    def __init__(self, backend):
        self._backend = backend
        self.paths: List[str] = []

    def remove(self, path) -> None:
        self.paths.append(path)

    def rmtree(self, path) -> None:
        self.paths.append(path)

    def __getattr__(self, name):
        return getattr(self._backend, name)


@HOOKS.register_module()
class SafeCheckpointHook(CheckpointHook):
    """MMEngine's ``CheckpointHook`` that loses nothing and resumes exactly.

    * Checkpoints are written as tensors and plain data only (the message hub's
      ``HistoryBuffer`` and numpy values are tagged and restored on load), so
      ``torch.load(weights_only=True)`` reads them and ``--resume`` works on MMEngine 0.10.7
      without allowing any extra, code-running global.
    * A save is ordered so that a kill at any moment leaves a resumable work dir: the new
      file is written atomically (``zoo_atomic_local`` backend), then ``last_checkpoint`` is
      replaced atomically (with a path relative to the work dir), and only then are outdated
      checkpoints (``max_keep_ckpts``) and the previous best (``save_best``) deleted.
    * Every global random state (Python, numpy, torch CPU and CUDA) is saved with the
      checkpoint and restored when training resumes, and validation runs on a copy of it, so
      a resumed run draws the same random crops as an uninterrupted one.
    * A loaded checkpoint must fit the model: same keys, same shapes, checked before anything
      is loaded (resume, ``tools/test.py`` and ``load_from``). ``load_from_strict = False`` at
      the top of a config loads the tensors that fit and logs the rest (a fine-tune from
      another model); it still refuses a checkpoint of which nothing fits.

    It takes every argument of ``CheckpointHook``; ``default_runtime.py`` uses it as the
    ``checkpoint`` default hook.
    """

    def __init__(self, *args, backend_args: Optional[dict] = None, **kwargs):
        if backend_args is None:
            backend_args = dict(backend='zoo_atomic_local')
        super().__init__(*args, backend_args=backend_args, **kwargs)
        self._resumed_rng: Optional[tuple] = None
        self._rng_before_val: Optional[dict] = None

    # ------------------------------------------------------------------ saving
    def _save_checkpoint_with_step(self, runner, step, meta):
        """MMEngine's order reversed: save, point ``last_checkpoint`` at it, then delete."""
        outdated = []
        if self.max_keep_ckpts > 0 and not (self.keep_ckpt_ids and self.keep_ckpt_ids[-1] == step):
            if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                outdated.append(self.keep_ckpt_ids.popleft())
            self.keep_ckpt_ids.append(step)
            runner.message_hub.update_info('keep_ckpt_ids', list(self.keep_ckpt_ids))

        ckpt_filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir, ckpt_filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        runner.save_checkpoint(
            self.out_dir,
            ckpt_filename,
            self.file_client_args,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler,
            meta=meta,
            by_epoch=self.by_epoch,
            backend_args=self.backend_args,
            **self.args)
        if not is_main_process():
            return
        write_last_checkpoint(runner.work_dir, self.last_ckpt)
        for old_step in outdated:
            self._remove(
                self.file_backend.join_path(self.out_dir, self.filename_tmpl.format(old_step)))

    def _save_best_checkpoint(self, runner, metrics) -> None:
        """MMEngine's, with the previous best deleted only after the new one is saved."""
        backend = self.file_backend
        deferred = self.file_backend = _DeferredRemovals(backend)
        try:
            super()._save_best_checkpoint(runner, metrics)
        finally:
            self.file_backend = backend
        if is_main_process():
            for path in deferred.paths:
                self._remove(path)

    def _remove(self, path: str) -> None:
        if self.file_backend.isfile(path):
            self.file_backend.remove(path)
        elif self.file_backend.isdir(path):  # checkpoints saved by deepspeed are folders
            self.file_backend.rmtree(path)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint['meta'][_RNG_KEY] = get_rng_state()
        to_plain_checkpoint(checkpoint)

    # ------------------------------------------------------------------ loading
    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        from_plain_checkpoint(checkpoint)
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        resuming = bool(getattr(runner, '_resume', False))
        check_checkpoint_fits(
            model,
            checkpoint,
            source=runner.cfg.get('load_from') or 'the checkpoint',
            strict=resuming or runner.cfg.get('load_from_strict', True),
            resuming=resuming)
        meta = checkpoint.get('meta') or {}
        if resuming and _RNG_KEY in meta:
            self._resumed_rng = (meta.get('iter'), meta[_RNG_KEY])

    def before_train(self, runner) -> None:
        super().before_train(runner)
        # Resumed: continue every random stream where the checkpoint left it. This is the
        # last call before the first epoch draws anything.
        if self._resumed_rng is not None:
            saved_iter, state = self._resumed_rng
            self._resumed_rng = None
            if saved_iter == runner.iter:
                set_rng_state(state)

    # Validation must not shift the training run's random streams: a run resumed after an
    # epoch that validated would otherwise draw differently from the uninterrupted run.
    def before_val_epoch(self, runner) -> None:
        self._rng_before_val = get_rng_state()

    def after_val_epoch(self, runner, metrics):
        if self._rng_before_val is not None:
            set_rng_state(self._rng_before_val)
            self._rng_before_val = None
        super().after_val_epoch(runner, metrics)
