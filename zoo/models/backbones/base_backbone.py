import inspect
from abc import ABCMeta
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from mmengine.model import BaseModule
from torch import Tensor, nn
from torch.nn.modules.batchnorm import _BatchNorm

from ..layers.plugin import insert_plugins


class _ChecksStages(ABCMeta):
    """Fails the construction of a backbone whose ``__init__`` never handed its layers to
    :meth:`BaseBackbone._set_stages` (checked once the outermost ``__init__`` returns, so a
    subclass may call it after ``super().__init__()``)."""

    def __call__(cls, *args, **kwargs):
        backbone = super().__call__(*args, **kwargs)
        if not backbone.stage_names:
            raise TypeError(f'{cls.__name__}.__init__ never called self._set_stages(stages, '
                            'stage_channels, stem): every BaseBackbone family hands its '
                            'layers to the base class there, which provides forward, '
                            'out_channels, freezing and norm_eval')
        return backbone

    @property
    def __signature__(cls) -> inspect.Signature:
        # what inspect.signature(Family) shows: the family's __init__ (without self), not the
        # (*args, **kwargs) of __call__ above
        signature = inspect.signature(cls.__init__)
        return signature.replace(parameters=list(signature.parameters.values())[1:])


class BaseBackbone(BaseModule, metaclass=_ChecksStages):
    """The contract every zoo backbone keeps, written once.

    A family declares its architecture variants as a table, :attr:`arch_settings` (row name
    -> row), reads the chosen row with :meth:`parse_arch` (one check and one error message for
    every family), builds its layers and hands them to :meth:`_set_stages`:

    * ``stem``: named layers that run before the first stage (``conv1``, ``bn1``, ...), registered
      on the backbone under those names so that state-dict keys match the published zoos;
    * ``stages``: named stages (``layer1`` ... ``layer4``), each producing one feature map;
    * ``stage_channels``: the channels of each stage's output.

    The base then provides, identically for every family:

    * ``forward`` returning the tuple of stage outputs chosen by ``out_indices``;
    * ``out_channels``: the channels of those outputs, for necks and heads to check against;
    * ``frozen_stages``: ``-1`` freezes nothing, ``0`` the stem, ``k`` the stem and the first
      ``k`` stages (parameters stop requiring grad, their norm layers stay in eval mode);
    * ``norm_eval``: keep every BatchNorm in eval mode (frozen statistics) while training;
    * :meth:`get_layer_depth`: how deep a parameter sits (stem 0, stage ``i`` at ``i + 1``);
    * ``plugins``: attention modules inserted into the blocks of chosen stages, at the plugin
      points the blocks declare (:mod:`zoo.models.layers.plugin`), for every family alike.

    A family whose published checkpoints name its layers otherwise (mmpretrain's ViT keeps its
    encoder layers in ``layers.<i>``, its VGG every layer in one flat ``features``) registers
    them under those names itself and passes the stages with ``register=False``: they are then
    views of those layers, reachable as attributes but adding no state-dict keys of their own.

    Args:
        out_indices: Indices of the stages whose outputs ``forward`` returns; negative indices
            count from the last stage.
        frozen_stages: Stages to freeze, as above.
        norm_eval: Whether BatchNorm layers stay in eval mode in training.
        init_cfg: Initialisation config, e.g. ``dict(type='Pretrained', checkpoint=...,
            prefix='backbone.')``.
        plugins: Plugin specs, e.g. SE-ResNet-50's ``[dict(cfg=dict(type='SELayer', ratio=16),
            position='after_conv3', stages=(True, True, True, True))]`` (``stages`` defaults to
            all); see :func:`~zoo.models.layers.plugin.insert_plugins`.

    Example:
        >>> from torch import nn
        >>> class TinyNet(BaseBackbone):
        ...     arch_settings = {'s': dict(width=8), 'm': dict(width=16)}
        ...     arch_keys = ('width', )
        ...
        ...     def __init__(self, arch='s', out_indices=-1, frozen_stages=-1):
        ...         super().__init__(out_indices, frozen_stages)
        ...         width = self.parse_arch(arch)['width']
        ...         self._set_stages(dict(layer1=nn.Conv2d(width, width, 3, stride=2)),
        ...                          stage_channels=[width],
        ...                          stem=dict(conv1=nn.Conv2d(3, width, 3)))
        >>> TinyNet('m').out_channels
        (16,)
    """

    # True where the peer's ``frozen_stages=k`` freezes the stages 0 to k (mmpretrain's
    # MobileNetV3 and SwinTransformer) rather than the stem and the first k stages.
    frozen_stages_inclusive: bool = False
    #: The family's architecture variants: row name (``'tiny'``, or a depth such as ``50``) ->
    #: row (a dict of :attr:`arch_keys`, or the family's own tuple). Names may have aliases
    #: (``'t'`` and ``'tiny'`` for the same row); string names are matched case-insensitively.
    arch_settings: Dict[Union[str, int], Any] = {}
    #: The fields of a row given as a dict, for families that take a custom architecture
    #: (ViT, Swin); empty: only the table's rows are accepted.
    arch_keys: Tuple[str, ...] = ()

    def __init__(self,
                 out_indices: Union[int, Sequence[int]] = -1,
                 frozen_stages: int = -1,
                 norm_eval: bool = False,
                 init_cfg: Optional[Union[dict, List[dict]]] = None,
                 plugins: Optional[Sequence[dict]] = None):
        super().__init__(init_cfg=init_cfg)
        self.plugin_specs = list(plugins or [])
        self._requested_out_indices = (out_indices, ) if isinstance(out_indices, int) \
            else tuple(out_indices)
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        self.stem_names: Tuple[str, ...] = ()
        self.stage_names: Tuple[str, ...] = ()
        self._stage_views: List[nn.Module] = []
        self._depth_prefixes: List[Tuple[str, str]] = []

    def _set_stages(self,
                    stages: Dict[str, nn.Module],
                    stage_channels: Sequence[int],
                    stem: Optional[Dict[str, nn.Module]] = None,
                    register: bool = True) -> None:
        """Register the stem and stages, validate the output and freezing options.

        With ``register=False`` the family has registered their layers under other names (see
        the class docstring) and the stem and stages are only views of them."""
        stem = stem or {}
        if len(stages) != len(stage_channels):
            raise ValueError(f'{type(self).__name__}: {len(stages)} stages but '
                             f'{len(stage_channels)} stage_channels')
        self._stage_views = [] if register else list(stem.values()) + list(stages.values())
        for name, module in list(stem.items()) + list(stages.items()):
            if register:
                self.add_module(name, module)
            else:  # a plain attribute: the layers it runs are registered elsewhere
                object.__setattr__(self, name, module)
        self._depth_prefixes = self._module_prefixes({**stem, **stages})
        insert_plugins(type(self).__name__, stages, self.plugin_specs)
        self.stem_names = tuple(stem)
        self.stage_names = tuple(stages)
        self.stage_channels = tuple(stage_channels)

        num_stages = len(stages)
        out_indices = []
        for index in self._requested_out_indices:
            if not -num_stages <= index < num_stages:
                raise ValueError(f'{type(self).__name__}: out_indices {index} is out of range '
                                 f'for its {num_stages} stages ({", ".join(self.stage_names)})')
            out_indices.append(index % num_stages)
        if len(set(out_indices)) != len(out_indices):
            raise ValueError(f'{type(self).__name__}: out_indices '
                             f'{self._requested_out_indices} repeats a stage')
        self.out_indices = tuple(sorted(out_indices))
        self.out_channels = tuple(self.stage_channels[i] for i in self.out_indices)

        if self.frozen_stages_inclusive:
            if not -1 <= self.frozen_stages < num_stages:
                raise ValueError(f'{type(self).__name__}: frozen_stages must be in '
                                 f'[-1, {num_stages - 1}] (-1: none, k: stages 0 to k), '
                                 f'got {self.frozen_stages}')
        elif not -1 <= self.frozen_stages <= num_stages:
            raise ValueError(f'{type(self).__name__}: frozen_stages must be in [-1, {num_stages}] '
                             f'(-1: none, 0: stem, k: stem and the first k stages), '
                             f'got {self.frozen_stages}')
        self._freeze_stages()

    def _module_prefixes(self, modules: Dict[str, nn.Module]) -> List[Tuple[str, str]]:
        """``(registered module path, stem or stage name)`` of the layers each stem or stage
        module holds: the module's own path, or for a view its children's paths."""
        paths = {id(module): path for path, module in self.named_modules() if path}
        prefixes = []
        for name, module in modules.items():
            held = [module] if id(module) in paths else list(module.children())
            for layer in held:
                if id(layer) not in paths and layer.state_dict():
                    raise ValueError(f'{type(self).__name__}: stage {name} holds a '
                                     f'{type(layer).__name__} that is not registered')
                if id(layer) in paths:  # (an unregistered layer holds no state: a Flatten)
                    prefixes.append((paths[id(layer)], name))
        return prefixes

    def parse_arch(self, arch: Union[str, int, dict], argument: str = 'arch') -> Any:
        """The row of :attr:`arch_settings` that ``arch`` names, or ``arch`` itself when it is a
        custom row: a dict with exactly the family's :attr:`arch_keys`. This is the one check
        (and error message) of an architecture argument for every family.

        Args:
            arch: A row name (``'b'``, ``'base'``, ``50``) or a custom row (a dict).
            argument: The argument's name in the family's signature, for the error message
                (``'arch'``; ResNet and VGG call it ``'depth'``).

        Returns:
            A copy of the row when it is a dict, else the row.

        Raises:
            ValueError: ``arch`` is neither a row name nor an acceptable custom row; the message
                names the family, the value and the accepted ones.
        """
        family = type(self).__name__
        if not self.arch_settings:
            raise TypeError(f'{family} declares no arch_settings to parse {argument} with')
        names = list(self.arch_settings)
        if isinstance(arch, dict):
            if not self.arch_keys:
                raise ValueError(f'{family}: {argument} must be one of {names}, got {arch!r}')
            if set(arch) != set(self.arch_keys):
                raise ValueError(f'{family}: {argument} {arch!r} is neither one of {names} nor '
                                 f'a dict with exactly the keys {list(self.arch_keys)}')
            return dict(arch)
        key = arch.lower() if isinstance(arch, str) else arch
        if isinstance(arch, bool) or not isinstance(arch, (str, int)) \
                or key not in self.arch_settings:
            custom = f' (or a dict with keys {list(self.arch_keys)})' if self.arch_keys else ''
            raise ValueError(f'{family}: {argument} {arch!r} is not one of {names}{custom}')
        row = self.arch_settings[key]
        return dict(row) if isinstance(row, dict) else row

    @property
    def num_stages(self) -> int:
        return len(self.stage_names)

    def frozen_modules(self) -> List[nn.Module]:
        """The stem and stage modules that ``frozen_stages`` freezes."""
        if self.frozen_stages < 0:
            return []
        names = self.stem_names + \
            self.stage_names[:self.frozen_stages + self.frozen_stages_inclusive]
        return [getattr(self, name) for name in names]

    def _freeze_stages(self) -> None:
        for module in self.frozen_modules():
            module.eval()
            for param in module.parameters():
                param.requires_grad = False

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        for name in self.stem_names:
            x = getattr(self, name)(x)
        outs = []
        for i, name in enumerate(self.stage_names):
            x = getattr(self, name)(x)
            if i in self.out_indices:
                outs.append(x)
            if i == self.out_indices[-1]:
                break  # later stages would be computed for nothing
        return tuple(outs)

    def train(self, mode: bool = True) -> 'BaseBackbone':
        super().train(mode)
        for view in self._stage_views:  # their layers were set above; keep the flag in step
            view.training = mode
        self._freeze_stages()
        if mode and self.norm_eval:
            for module in self.modules():
                if isinstance(module, _BatchNorm):
                    module.eval()
        return self

    def get_layer_depth(self, param_name: str) -> Tuple[int, int]:
        """Depth of a parameter for layer-wise learning-rate decay.

        ``zoo.LayerDecayOptimWrapperConstructor`` gives a parameter at ``depth`` the learning
        rate ``lr * rate ** (max_depth - depth)``; it strips the classifier's ``backbone.``
        prefix before asking, and puts the neck and head at ``max_depth``. A family whose
        layers are finer than its stages overrides this with the same contract: integers,
        ``0 <= depth <= max_depth``, one ``max_depth`` for all parameters, the input side
        shallowest. A ViT, for instance, puts its patch embedding, class token and position
        embedding at 0, transformer layer ``i`` at ``i + 1`` and its final norm at
        ``max_depth = num_layers + 1``, as mmpretrain's ``get_layer_depth`` does.

        Args:
            param_name: A parameter name relative to this backbone (``layer2.0.conv1.weight``).

        Returns:
            ``(depth, max_depth)``: the stem is at depth 0, stage ``i`` at ``i + 1``; anything
            that is neither (and the head above the backbone) is at ``max_depth``,
            ``num_stages + 1``.
        """
        max_depth = self.num_stages + 1
        for prefix, name in self._depth_prefixes:
            if param_name.startswith(prefix + '.'):
                if name in self.stem_names:
                    return 0, max_depth
                return self.stage_names.index(name) + 1, max_depth
        return max_depth, max_depth


def count_parameters(module: nn.Module, trainable_only: bool = False) -> int:
    """Number of parameters of ``module`` (shared tensors counted once)."""
    params = {id(p): p for p in module.parameters() if p.requires_grad or not trainable_only}
    return sum(p.numel() for p in params.values())


__all__ = ['BaseBackbone', 'count_parameters']
