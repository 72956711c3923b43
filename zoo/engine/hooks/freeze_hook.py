import re
from typing import List, Optional, Sequence, Tuple, Union

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner import EpochBasedTrainLoop
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.parallel import DistributedDataParallel

from zoo.registry import HOOKS


@HOOKS.register_module()
class FreezeHook(Hook):
    """Freeze parameters chosen by name when training starts; unfreeze them at a given epoch or
    iteration.

    The two phases of fine-tuning: train a new head on a frozen pretrained backbone, then train
    everything (often with a smaller backbone learning rate, ``paramwise_cfg.custom_keys``).

    * Frozen parameters stop requiring grad and their gradients are set to ``None``: autograd
      computes nothing for them (nor for the layers below them), and the optimizers skip
      parameters without a gradient, so neither weight decay nor momentum moves them. Their
      BatchNorm layers stay in eval mode (``norm_eval``), so running statistics stay too.
    * Unfreezing restores each parameter's own ``requires_grad`` (parameters a backbone's
      ``frozen_stages`` froze stay frozen) and the train mode of its norm layers.
    * The phase is a function of ``runner.epoch`` / ``runner.iter``, which a checkpoint
      restores: ``--resume`` in either phase continues as the uninterrupted run would.
    * Distributed training: ``DistributedDataParallel`` registers the parameters that require
      grad when it is built. Freezing after that makes it wait for gradients that never come
      (the "Expected to have finished reduction in the prior iteration" error without
      ``find_unused_parameters=True``), and unfreezing parameters it left out trains them
      without averaging their gradients across processes (the replicas silently diverge). The
      hook therefore rebuilds the wrapper, with the Runner's own ``model_wrapper_cfg``, each
      time it freezes or unfreezes: frozen parameters are not synchronised at all, unfrozen
      ones are, and ``find_unused_parameters`` can stay ``False``.

    Example:
        >>> custom_hooks = [dict(type='FreezeHook', modules='backbone', unfreeze_epoch=3)]
        >>> # stages 1-3 of a ResNet for the first 500 iterations:
        >>> custom_hooks = [dict(type='FreezeHook', modules=r'backbone\\.(conv1|bn1|layer[1-3])',
        ...                      unfreeze_iter=500)]

    Args:
        modules: Regular expressions, each of which must match the whole name of at least one
            module (``backbone``, ``backbone.layer[1-3]``) or parameter (``backbone.cls_token``)
            of the model, as ``named_modules()`` / ``named_parameters()`` name them; every
            parameter in a matched module is frozen.
        unfreeze_epoch: Frozen during the first ``unfreeze_epoch`` epochs (``runner.epoch <
            unfreeze_epoch``), trainable from then on; needs an epoch-based train loop.
        unfreeze_iter: Frozen during the first ``unfreeze_iter`` iterations, counted over the
            whole run. With neither, the parameters stay frozen to the end (linear probing).
        norm_eval: Keep the BatchNorm layers of frozen modules in eval mode while frozen.
    """

    def __init__(self,
                 modules: Union[str, Sequence[str]],
                 unfreeze_epoch: Optional[int] = None,
                 unfreeze_iter: Optional[int] = None,
                 norm_eval: bool = True):
        patterns = [modules] if isinstance(modules, str) else list(modules)
        if not patterns or not all(isinstance(p, str) and p for p in patterns):
            raise ValueError(f'FreezeHook: modules must be one or more non-empty name patterns, '
                             f'got {modules!r}')
        self.patterns = []
        for pattern in patterns:
            try:
                self.patterns.append(re.compile(pattern))
            except re.error as error:
                raise ValueError(f'FreezeHook: modules pattern {pattern!r} is not a valid '
                                 f'regular expression: {error}') from None
        if unfreeze_epoch is not None and unfreeze_iter is not None:
            raise ValueError('FreezeHook: give unfreeze_epoch or unfreeze_iter, not both '
                             f'(got {unfreeze_epoch} and {unfreeze_iter})')
        for key, value in (('unfreeze_epoch', unfreeze_epoch), ('unfreeze_iter', unfreeze_iter)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                      or value < 0):
                raise ValueError(f'FreezeHook: {key} must be a non-negative int, got {value!r}')
        self.unfreeze_epoch = unfreeze_epoch
        self.unfreeze_iter = unfreeze_iter
        self.norm_eval = norm_eval
        # (parameter, its requires_grad before freezing), names of the frozen norm layers
        self._params: List[Tuple[nn.Parameter, bool]] = []
        self._norm_names: List[str] = []
        self.frozen = False

    # ------------------------------------------------------------------ runner events
    def before_train(self, runner) -> None:
        if self.unfreeze_epoch is not None and not isinstance(runner.train_loop,
                                                              EpochBasedTrainLoop):
            raise ValueError(f'FreezeHook: unfreeze_epoch needs an epoch-based train loop, the '
                             f'runner has {type(runner.train_loop).__name__}; use unfreeze_iter')
        self._select(self._unwrap(runner.model))
        if self._in_frozen_phase(runner):
            self._set_frozen(runner, True)

    def before_train_epoch(self, runner) -> None:
        if self.frozen and self.unfreeze_epoch is not None and \
                runner.epoch >= self.unfreeze_epoch:
            self._set_frozen(runner, False)  # the loop's model.train() follows this hook

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        if self.frozen and self.unfreeze_iter is not None and runner.iter >= self.unfreeze_iter:
            self._set_frozen(runner, False)
            runner.model.train()  # norm layers of the unfrozen modules leave eval mode
        if self.frozen and self.norm_eval:
            # after the loop's model.train(), which runs once an epoch after validation
            model = self._unwrap(runner.model)
            for name in self._norm_names:
                model.get_submodule(name).eval()

    # ------------------------------------------------------------------ helpers
    def _in_frozen_phase(self, runner) -> bool:
        if self.unfreeze_epoch is not None:
            return runner.epoch < self.unfreeze_epoch
        if self.unfreeze_iter is not None:
            return runner.iter < self.unfreeze_iter
        return True

    @staticmethod
    def _unwrap(model: nn.Module) -> nn.Module:
        return model.module if is_model_wrapper(model) else model

    def _matches(self, name: str) -> bool:
        """Whether ``name`` or one of its enclosing modules' names matches a pattern."""
        return any(p.fullmatch(prefix) for p in self.patterns for prefix in _prefixes(name))

    def _select(self, model: nn.Module) -> None:
        """Find the parameters and norm layers to freeze; every pattern must select some."""
        named = list(model.named_parameters())
        for pattern in self.patterns:
            if not any(
                    pattern.fullmatch(prefix) for name, _ in named for prefix in _prefixes(name)):
                shallow = [
                    name for name, _ in model.named_modules() if name and name.count('.') <= 1
                ]
                hint = ', '.join(shallow[:30]) + (', ...' if len(shallow) > 30 else '')
                raise ValueError(
                    f'FreezeHook: pattern {pattern.pattern!r} matches no parameter of '
                    f'{type(model).__name__} (it must match a whole module or parameter name, '
                    f'e.g. "backbone" or "backbone\\.layer[1-3]"). Its modules include: {hint}')
        self._params = [(param, param.requires_grad) for name, param in named
                        if self._matches(name)]
        self._norm_names = [
            name for name, module in model.named_modules()
            if name and isinstance(module, _BatchNorm) and self._matches(name)
        ]

    def _set_frozen(self, runner, frozen: bool) -> None:
        for param, requires_grad in self._params:
            param.requires_grad_(requires_grad and not frozen)
            if frozen:
                param.grad = None  # optimizers skip parameters without a gradient
        self.frozen = frozen
        self._rewrap(runner)
        count = sum(param.numel() for param, _ in self._params)
        patterns = ', '.join(p.pattern for p in self.patterns)
        if frozen:
            span = f'for the first {self.unfreeze_epoch} epochs' \
                if self.unfreeze_epoch is not None else \
                f'for the first {self.unfreeze_iter} iterations' \
                if self.unfreeze_iter is not None else 'to the end of training'
            message = f'froze {len(self._params)} tensors ({count:,} values) matching ' \
                      f'{patterns} {span}'
        else:
            message = f'unfroze {len(self._params)} tensors ({count:,} values) matching ' \
                      f'{patterns} at epoch {runner.epoch}, iteration {runner.iter}'
        runner.logger.info(f'FreezeHook: {message}')

    def _rewrap(self, runner) -> None:
        """Rebuild a distributed wrapper so that it synchronises exactly the trainable
        parameters (see the class notes)."""
        if not is_model_wrapper(runner.model):
            return
        if not isinstance(runner.model, DistributedDataParallel):
            raise TypeError(f'FreezeHook: {type(runner.model).__name__} is not supported; '
                            'freezing needs an unwrapped model or a DistributedDataParallel '
                            'wrapper, which the hook rebuilds when it freezes or unfreezes')
        runner.model = runner.wrap_model(runner.cfg.get('model_wrapper_cfg'), runner.model.module)


def _prefixes(name: str) -> List[str]:
    """``'a.b.c'`` -> ``['a', 'a.b', 'a.b.c']``."""
    parts = name.split('.')
    return ['.'.join(parts[:i]) for i in range(1, len(parts) + 1)]
