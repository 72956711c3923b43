import torch
from mmengine.hooks import Hook

from zoo.registry import HOOKS


@HOOKS.register_module()
class EagerParamUpdateHook(Hook):
    """Keep the optimizer wrapper's ``update_params`` (backward, step, zero_grad) out of
    ``torch.compile`` for models whose ``train_step`` is MMEngine's, e.g. mmdet's detectors.

    With ``compile=True`` the Runner compiles ``model.train_step``, and dynamo then traces the
    optimizer's ``step`` too: on torch 2.14 AdamW's step fails to trace (an internal dynamo
    error), and SGD's recompiles at every new learning rate (each warm-up iteration) until the
    cache limit. This hook wraps the wrapper's ``update_params`` in ``torch.compiler.disable``
    before training starts, so the update runs eagerly and the forward pass and losses stay
    compiled. zoo's ``ImageClassifier`` does the same in its own ``train_step`` and needs no
    hook. Without ``compile`` it changes nothing that runs.

    Example:
        >>> custom_hooks = [dict(type='zoo.EagerParamUpdateHook')]
    """
    priority = 'VERY_HIGH'

    def before_train(self, runner) -> None:
        wrapper = runner.optim_wrapper
        if not getattr(wrapper, '_update_params_eager', False):
            wrapper.update_params = torch.compiler.disable(wrapper.update_params)
            wrapper._update_params_eager = True
