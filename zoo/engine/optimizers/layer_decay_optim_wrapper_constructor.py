from typing import Callable, Dict, List, Optional, Tuple

from mmengine.logging import print_log
from mmengine.optim import DefaultOptimWrapperConstructor
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.instancenorm import _InstanceNorm

from zoo.registry import OPTIM_WRAPPER_CONSTRUCTORS

# Parameters of these layers are "norm" parameters for ``norm_decay_mult``.
NORM_LAYERS = (_BatchNorm, _InstanceNorm, nn.GroupNorm, nn.LayerNorm, nn.RMSNorm)

DepthFn = Callable[[str], Tuple[int, int]]


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class LayerDecayOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """Layer-wise learning-rate decay: the deeper a parameter sits below the head, the smaller
    its learning rate.

    A parameter at depth ``d`` of a backbone whose maximum depth is ``D`` gets
    ``lr = base_lr * layer_decay_rate ** (D - d)``: the head (and anything outside the backbone)
    trains at ``base_lr``, the stem or patch embedding at ``base_lr * rate ** D``. Depths come
    from the backbone's ``get_layer_depth(param_name) -> (depth, max_depth)``, part of the zoo's
    backbone contract (:meth:`zoo.models.backbones.BaseBackbone.get_layer_depth`: the stem at
    0, stage ``i`` at ``i + 1``; a ViT puts its patch embedding, class token and position
    embedding at 0 and transformer layer ``i`` at ``i + 1``). A model that defines
    ``get_layer_depth`` itself is asked directly, with full parameter names. mmpretrain's
    ``LearningRateDecayOptimWrapperConstructor`` is the reference; unlike it, ``custom_keys``'
    ``lr_mult`` is applied (on top of the depth scale), frozen parameters stay in the optimizer
    (a hook may unfreeze them later), and parameters with identical settings share one group.

    ``paramwise_cfg`` keys:

    * ``layer_decay_rate`` (required): the ratio between the learning rates of two adjacent
      depths, in (0, 1]; 1 disables the decay.
    * ``norm_decay_mult``: multiplies the weight decay of parameters of norm layers
      (BatchNorm, InstanceNorm, GroupNorm, LayerNorm, RMSNorm).
    * ``bias_decay_mult``: multiplies the weight decay of the other ``bias`` parameters.
    * ``flat_decay_mult``: multiplies the weight decay of the remaining one-dimensional ones.
    * ``custom_keys``: ``{substring: dict(lr_mult=..., decay_mult=...)}``; a parameter whose full
      name contains the substring (the longest one wins) gets these multipliers, and the norm,
      bias and flat rules do not apply to it (e.g. ``'.pos_embed': dict(decay_mult=0.)``). A
      key that matches no parameter is an error (it would change nothing: a typo, or a recipe
      written for another model).

    The multipliers above default to 1 and act on the optimizer's ``weight_decay``, which must
    then be given.

    Example:
        >>> optim_wrapper = dict(
        ...     optimizer=dict(type='AdamW', lr=2e-3, weight_decay=0.05),
        ...     constructor='LayerDecayOptimWrapperConstructor',
        ...     paramwise_cfg=dict(
        ...         layer_decay_rate=0.65, norm_decay_mult=0., bias_decay_mult=0.,
        ...         custom_keys={'.cls_token': dict(decay_mult=0.),
        ...                      '.pos_embed': dict(decay_mult=0.)}))
        >>> # ResNet-50 (stem at 0, layer1..layer4 at 1..4, head at 5), rate 0.5:
        >>> # head lr 2e-3, layer4 1e-3, layer3 5e-4, ..., conv1/bn1 6.25e-5

    Args:
        optim_wrapper_cfg: The ``optim_wrapper`` config (``optimizer`` with ``lr`` and usually
            ``weight_decay``; ``type`` and the wrapper's other options).
        paramwise_cfg: The options above.
    """

    PARAMWISE_KEYS = ('layer_decay_rate', 'norm_decay_mult', 'bias_decay_mult', 'flat_decay_mult',
                      'custom_keys')
    CUSTOM_KEY_OPTIONS = ('lr_mult', 'decay_mult')

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg: Optional[dict] = None):
        name = type(self).__name__
        paramwise_cfg = dict(paramwise_cfg or {})
        unknown = sorted(set(paramwise_cfg) - set(self.PARAMWISE_KEYS))
        if unknown:
            raise ValueError(f'{name}: unknown paramwise_cfg key(s) {unknown}; the keys are '
                             f'{list(self.PARAMWISE_KEYS)}')
        if 'layer_decay_rate' not in paramwise_cfg:
            raise ValueError(f'{name}: paramwise_cfg.layer_decay_rate is required (the ratio '
                             'of the learning rates of adjacent depths, in (0, 1])')
        rate = paramwise_cfg['layer_decay_rate']
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 < rate <= 1:
            raise ValueError(f'{name}: paramwise_cfg.layer_decay_rate must be a number in '
                             f'(0, 1], got {rate!r}')
        custom_keys = paramwise_cfg.get('custom_keys', {})
        if not isinstance(custom_keys, dict):
            raise TypeError(f'{name}: paramwise_cfg.custom_keys must be a dict, got '
                            f'{type(custom_keys).__name__}')
        for key, options in custom_keys.items():
            bad = sorted(set(options) - set(self.CUSTOM_KEY_OPTIONS))
            if bad:
                raise ValueError(f'{name}: custom_keys[{key!r}] has unknown option(s) {bad}; '
                                 f'the options are {list(self.CUSTOM_KEY_OPTIONS)}')
        optimizer_cfg = optim_wrapper_cfg.get('optimizer', {})
        if optimizer_cfg.get('lr') is None:
            raise ValueError(f'{name}: the optimizer config must set lr, the learning rate of '
                             'the head from which the layers\' rates decay')
        weight_decay = optimizer_cfg.get('weight_decay')
        if weight_decay is None:
            needs_decay = [
                k for k in ('norm_decay_mult', 'bias_decay_mult', 'flat_decay_mult')
                if k in paramwise_cfg
            ]
            needs_decay += [
                f'custom_keys[{k!r}].decay_mult' for k, options in custom_keys.items()
                if 'decay_mult' in options
            ]
            if needs_decay:
                raise ValueError(f'{name}: {", ".join(needs_decay)} multiply the optimizer\'s '
                                 'weight_decay, which the optimizer config does not set')
        super().__init__(optim_wrapper_cfg, paramwise_cfg)
        self.layer_decay_rate = float(rate)

    def add_params(self, params: List[dict], module: nn.Module) -> None:
        """Append to ``params`` one group per distinct (depth, lr, weight decay) of ``module``.

        Each group also carries ``layer_depth``, ``lr_scale`` and ``param_names`` (read by
        nothing in the optimizer; they make the groups easy to inspect and log).
        """
        depth_of = self._depth_fn(module)
        custom_keys = self.paramwise_cfg.get('custom_keys', {})
        sorted_keys = sorted(sorted(custom_keys), key=len, reverse=True)  # longest first
        groups: Dict[tuple, dict] = {}
        seen, used_keys = set(), set()
        max_depths = set()
        for module_name, submodule in module.named_modules():
            for name, param in submodule.named_parameters(recurse=False):
                if id(param) in seen:  # a shared parameter belongs to its first owner
                    continue
                seen.add(id(param))
                full_name = f'{module_name}.{name}' if module_name else name
                depth, max_depth = depth_of(full_name)
                max_depths.add(max_depth)
                lr_scale = self.layer_decay_rate**(max_depth - depth)
                decay_mult = 1.
                custom_key = next((key for key in sorted_keys if key in full_name), None)
                if custom_key is not None:
                    used_keys.add(custom_key)
                    lr_scale *= custom_keys[custom_key].get('lr_mult', 1.)
                    decay_mult = custom_keys[custom_key].get('decay_mult', 1.)
                elif isinstance(submodule, NORM_LAYERS):
                    decay_mult = self.paramwise_cfg.get('norm_decay_mult', 1.)
                elif name == 'bias':
                    decay_mult = self.paramwise_cfg.get('bias_decay_mult', 1.)
                elif param.ndim == 1:
                    decay_mult = self.paramwise_cfg.get('flat_decay_mult', 1.)
                group_key = (depth, lr_scale, decay_mult)
                if group_key not in groups:
                    group = dict(
                        params=[],
                        lr=self.base_lr * lr_scale,
                        lr_scale=lr_scale,
                        layer_depth=depth,
                        param_names=[])
                    if self.base_wd is not None:
                        group['weight_decay'] = self.base_wd * decay_mult
                    groups[group_key] = group
                groups[group_key]['params'].append(param)
                groups[group_key]['param_names'].append(full_name)
        dead = [key for key in custom_keys if key not in used_keys]
        if dead:
            raise ValueError(f'{type(self).__name__}: custom_keys {dead} match no parameter of '
                             f'{type(module).__name__} (a key applies to the parameters whose '
                             'full name contains it, e.g. "backbone.pos_embed" for ".pos_embed")')
        if len(max_depths) > 1:
            raise ValueError(f'{type(self).__name__}: get_layer_depth of {type(module).__name__} '
                             f'returned different max depths {sorted(max_depths)}')
        ordered = sorted(groups.values(), key=lambda g: (g['layer_depth'], -g['lr']))
        params.extend(ordered)
        self._log_groups(ordered, max_depths.pop() if max_depths else 0)

    def _depth_fn(self, model: nn.Module) -> DepthFn:
        """``param_name -> (depth, max_depth)`` for every parameter of ``model``, checked."""
        name = type(self).__name__
        if callable(getattr(model, 'get_layer_depth', None)):
            owner, raw = type(model).__name__, model.get_layer_depth
        else:
            backbone = getattr(model, 'backbone', None)
            if not callable(getattr(backbone, 'get_layer_depth', None)):
                what = f'its backbone {type(backbone).__name__}' if backbone is not None \
                    else 'it has no backbone and'
                raise TypeError(
                    f'{name} needs to know how deep each parameter sits, but '
                    f'{type(model).__name__} has no get_layer_depth(param_name) method and '
                    f'{what} has none either. Every zoo backbone (BaseBackbone) has one; another '
                    'backbone must define get_layer_depth(param_name) -> (depth, max_depth).')
            owner = type(backbone).__name__
            backbone_params = [n for n, _ in backbone.named_parameters()]
            if not backbone_params:
                raise ValueError(f'{name}: the backbone {owner} has no parameters')
            _, top = backbone.get_layer_depth(backbone_params[0])

            def raw(param_name: str) -> Tuple[int, int]:
                if param_name.startswith('backbone.'):
                    return backbone.get_layer_depth(param_name[len('backbone.'):])
                return top, top  # neck and head train at the full learning rate

        def depth_of(param_name: str) -> Tuple[int, int]:
            result = raw(param_name)
            valid = (
                isinstance(result, tuple) and len(result) == 2
                and all(isinstance(v, int) and not isinstance(v, bool) for v in result)
                and 0 <= result[0] <= result[1])
            if not valid:
                raise ValueError(f'{name}: {owner}.get_layer_depth({param_name!r}) returned '
                                 f'{result!r}; it must return (depth, max_depth) with '
                                 '0 <= depth <= max_depth')
            return result

        return depth_of

    def _log_groups(self, groups: List[dict], max_depth: int) -> None:
        lines = [
            f'{type(self).__name__}: layer_decay_rate {self.layer_decay_rate}, '
            f'max depth {max_depth}, {len(groups)} parameter groups'
        ]
        for group in groups:
            decay = f', weight_decay {group["weight_decay"]:.3g}' if 'weight_decay' in group \
                else ''
            lines.append(f'  depth {group["layer_depth"]:>2}: lr {group["lr"]:.3g} '
                         f'(x{group["lr_scale"]:.3g}){decay}, {len(group["params"])} tensors, '
                         f'first {group["param_names"][0]}')
        print_log('\n'.join(lines), logger='current')
