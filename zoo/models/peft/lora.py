"""LoRA (`Hu et al. <https://arxiv.org/abs/2106.09685>`_): fine-tune a built model through
low-rank updates of chosen ``nn.Linear`` layers, mmpretrain's ``LoRAModel`` and ``LoRALinear``
(the same arguments, state-dict keys and checkpoints: only the ``lora_`` weights are saved)."""
import math
import re
from typing import Any, List

import torch
from mmengine.logging import print_log
from mmengine.model import BaseModule
from torch import nn

from zoo.registry import MODELS


class LoRALinear(nn.Module):
    r"""``y = W_0 x + (alpha / rank) * B A dropout(x)``, around the frozen ``original_layer``
    (``W_0``); ``A`` (``lora_down``) starts Kaiming-uniform and ``B`` (``lora_up``) at zero, so
    the wrapped layer first computes exactly what the original did.

    Args:
        original_layer: The linear layer to fine-tune.
        alpha: The scale factor of the update.
        rank: The rank of ``B A``.
        drop_rate: Dropout on the input of the update.
    """

    def __init__(self,
                 original_layer: nn.Linear,
                 alpha: int = 1,
                 rank: int = 0,
                 drop_rate: float = 0.):
        super().__init__()
        if rank <= 0:
            raise ValueError(f'LoRALinear: rank must be positive, got {rank}')
        self.lora_dropout = nn.Dropout(drop_rate)
        self.lora_down = nn.Linear(original_layer.in_features, rank, bias=False)
        self.lora_up = nn.Linear(rank, original_layer.out_features, bias=False)
        self.scaling = alpha / rank
        nn.init.kaiming_uniform_(self.lora_down.weight, a=math.sqrt(5))
        nn.init.zeros_(self.lora_up.weight)
        self.original_layer = original_layer

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        update = self.lora_up(self.lora_down(self.lora_dropout(x)))
        return self.original_layer(x) + update * self.scaling


@MODELS.register_module()
class LoRAModel(BaseModule):
    """A module (built from ``module``, then initialised, e.g. from its ``Pretrained``
    checkpoint) whose target ``nn.Linear`` layers are wrapped in :class:`LoRALinear`; only the
    ``lora_`` parameters train, and only they are saved in and loaded from state dicts.

    Example:
        >>> model = LoRAModel(
        ...     module=dict(type='VisionTransformer', arch='b'), alpha=4, rank=4,
        ...     targets=[dict(type='.*qkv'),  # a regular expression over module names
        ...              dict(type='proj', alpha=8, rank=8)])  # or a suffix

    Args:
        module: Config of the module to fine-tune.
        alpha: The scale factor of the updates (a target's ``alpha`` overrides it).
        rank: The rank of the updates (a target's ``rank`` overrides it).
        drop_rate: Dropout on the updates' inputs (a target's ``drop_rate`` overrides it).
        targets: ``dict(type=<regex or suffix of a module name>[, alpha, rank, drop_rate])``.

    Raises:
        ValueError: ``targets`` is empty or matches no ``nn.Linear`` of the module (the
            message lists the module's linear layers).
    """

    def __init__(self,
                 module: dict,
                 alpha: int = 1,
                 rank: int = 0,
                 drop_rate: float = 0.,
                 targets: List[dict] = list()):
        super().__init__()
        if not targets:
            raise ValueError('LoRAModel: targets must name at least one layer')
        self.module = MODELS.build(module)
        self.module.init_weights()  # load the module's checkpoint before freezing it
        self.alpha, self.rank, self.drop_rate = alpha, rank, drop_rate
        self.targets = targets
        linears = [n for n, m in self.module.named_modules() if isinstance(m, nn.Linear)]
        replaced = [name for name in linears if self._apply_lora(name)]
        if not replaced:
            raise ValueError(f'LoRAModel: no nn.Linear matches targets '
                             f'{[t["type"] for t in targets]}; the linear layers are '
                             f'{linears[:8]}{"..." if len(linears) > 8 else ""}')
        for name, param in self.named_parameters():
            param.requires_grad = '.lora_' in name
        self._register_state_dict_hook(self._keep_lora_weights)
        self.register_load_state_dict_post_hook(self._ignore_frozen_weights)

    def _apply_lora(self, name: str) -> bool:
        """Wrap the linear layer ``name`` for the first target that matches it (by regular
        expression or suffix, as mmpretrain)."""
        for target in self.targets:
            pattern = target['type']
            if re.fullmatch(pattern, name) or name.endswith(pattern):
                alpha = target.get('alpha', self.alpha)
                rank = target.get('rank', self.rank)
                drop_rate = target.get('drop_rate', self.drop_rate)
                print_log(
                    f'Set LoRA for {name} with alpha: {alpha}, rank: {rank}, '
                    f'drop rate: {drop_rate}',
                    logger='current')
                parent_name, _, child = name.rpartition('.')
                parent = self.module.get_submodule(parent_name)
                setattr(parent, child, LoRALinear(getattr(parent, child), alpha, rank, drop_rate))
                return True
        return False

    @staticmethod
    def _keep_lora_weights(module, state_dict, prefix, local_metadata) -> None:
        """Save only the ``lora_`` weights: the rest is the (published) module's."""
        for key in [k for k in state_dict if '.lora_' not in k]:
            state_dict.pop(key)

    @staticmethod
    def _ignore_frozen_weights(module, incompatible_keys) -> None:
        """A LoRA checkpoint holds no frozen weights: only missing ``lora_`` keys count."""
        for keys in (incompatible_keys.missing_keys, incompatible_keys.unexpected_keys):
            keys[:] = [k for k in keys if '.lora_' in k]

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        try:
            return super().__getattr__(name)
        except AttributeError:  # the wrapped backbone's attributes (out_channels, ...)
            return getattr(self.module, name)
