"""Plugins: attention modules (SE, CBAM, SRM, mmcv's ContextBlock...) that a config inserts
into the blocks of a backbone's stages without editing the backbone.

A block takes plugins when it derives from :class:`PluggableBlock`: it declares its plugin
points (position name -> channels there) and calls :meth:`PluggableBlock.forward_plugins` at
each of them in its ``forward``. :func:`insert_plugins` builds the plugins of a backbone's
``plugins`` option into the blocks of the chosen stages; the backbone base calls it once for
every family.
"""
import inspect
from typing import Dict, List, Mapping, Optional, Sequence

from torch import Tensor, nn

from zoo.registry import MODELS

PLUGIN_KEYS = ('cfg', 'position', 'stages')


class PluggableBlock(nn.Module):
    """A block with named points where plugins can run.

    Subclasses define :attr:`plugin_points` and call ``x = self.forward_plugins(position, x)``
    at each point of their ``forward``. The plugins live in the child ``plugins`` (a
    ``ModuleDict`` of one ``Sequential`` per position), created only when a plugin is added: a
    block without plugins keeps its state-dict keys, so published checkpoints still load.

    :attr:`plugin_naming` ``'abbr'`` instead makes each plugin a direct child named as mmcv's
    ``build_plugin_layer`` names it, its abbreviation and the cfg's ``postfix``
    (``context_block``, ``gen_attention_block``, ``nonlocal_block1``...): the layout of mmdet's
    ResNet blocks, so that their checkpoints load.

    Example:
        >>> import torch
        >>> from zoo.models.layers import ConvNormAct, SELayer
        >>> layer = ConvNormAct(16, 16, 3)
        >>> layer.plugin_points
        {'after_conv': 16}
        >>> layer.add_plugin('after_conv', SELayer(16, ratio=4))
        >>> tuple(layer(torch.rand(1, 16, 8, 8)).shape), sorted(layer.plugins)
        ((1, 16, 8, 8), ['after_conv'])
    """

    plugin_naming = 'position'

    @property
    def plugin_points(self) -> Dict[str, int]:
        """Positions where this block takes plugins, each with the channels of the feature map
        there. Subclasses override it."""
        return {}

    def add_plugin(self, position: str, plugin: nn.Module, name: Optional[str] = None) -> None:
        """Append ``plugin`` to those that run at ``position`` (``name``: its child name, for
        ``plugin_naming='abbr'``)."""
        if position not in self.plugin_points:
            raise ValueError(f'{type(self).__name__} has no plugin point {position!r}; its '
                             f'points are {tuple(self.plugin_points)}')
        if self.plugin_naming == 'abbr':
            name = name or plugin_name(dict(type=type(plugin)))
            if name in self._modules or hasattr(self, name):
                raise ValueError(f'{type(self).__name__}: a second plugin named {name!r}; give '
                                 f'plugins of one type distinct cfg postfixes, as in mmdet')
            self.add_module(name, plugin)
            self.__dict__.setdefault('plugin_names', {}).setdefault(position, []).append(name)
            return
        if 'plugins' not in self._modules:
            self.plugins = nn.ModuleDict()
        if position not in self.plugins:
            self.plugins[position] = nn.Sequential()
        self.plugins[position].append(plugin)

    def forward_plugins(self, position: str, x: Tensor) -> Tensor:
        """Run the plugins added at ``position`` on ``x`` (``x`` itself when there are none)."""
        if self.plugin_naming == 'abbr':
            for name in self.__dict__.get('plugin_names', {}).get(position, ()):
                x = self._modules[name](x)
            return x
        plugins = self._modules.get('plugins')
        if plugins is None or position not in plugins:
            return x
        return plugins[position](x)


def pluggable_blocks(stage: nn.Module) -> List[PluggableBlock]:
    """The blocks of a stage that can take plugins: the stage itself when it is one, else its
    direct children that are (a block's own sub-layers are not candidates)."""
    if isinstance(stage, PluggableBlock):
        return [stage]
    return [child for child in stage.children() if isinstance(child, PluggableBlock)]


def plugin_class(cfg: dict) -> type:
    """The class a plugin cfg names (looked up in zoo's MODELS and, through it, mmcv's)."""
    if not isinstance(cfg, Mapping) or 'type' not in cfg:
        raise TypeError(f'a plugin cfg must be a dict with a "type", got {cfg!r}')
    plugin_type = cfg['type']
    cls = MODELS.get(plugin_type) if isinstance(plugin_type, str) else plugin_type
    if cls is None:
        raise KeyError(f'plugin type {plugin_type!r} is not registered in zoo\'s MODELS')
    return cls


def plugin_name(cfg: dict) -> str:
    """The child name mmcv's ``build_plugin_layer`` gives a plugin cfg: the class's ``_abbr_``
    (or its name in snake case) followed by the cfg's ``postfix``.

    Example:
        >>> plugin_name(dict(type='SELayer')), plugin_name(dict(type='CBAM', postfix=2))
        ('se_layer', 'cbam2')
    """
    from mmcv.cnn.bricks.plugin import infer_abbr
    return infer_abbr(plugin_class(cfg)) + str(cfg.get('postfix', ''))


def build_plugin(cfg: dict, channels: int) -> nn.Module:
    """Build a plugin config for a feature map of ``channels`` channels.

    zoo's plugins and mmcv's (``ContextBlock``, ``NonLocal2d``, ``GeneralizedAttention``) take
    the channels as ``in_channels``; a plugin class that names it ``channels`` gets that. The
    cfg's ``postfix`` (mmdet's, naming the plugin) is not passed to the class.
    """
    cls = plugin_class(cfg)
    cfg = {k: v for k, v in cfg.items() if k != 'postfix'}
    params = inspect.signature(cls).parameters
    key = 'in_channels' if 'in_channels' in params else 'channels'
    if key not in params:
        raise TypeError(f'plugin {cls.__name__} takes neither in_channels nor channels, so the '
                        f'channels of its position cannot be given to it')
    if key in cfg:
        raise ValueError(f'plugin {cls.__name__}: do not set {key}={cfg[key]} in its cfg; it '
                         f'is taken from the block where the plugin goes')
    # the class found above, not a registry lookup in the default scope (mmdet's or
    # mmpretrain's scope would find their own SELayer by that name)
    args = {k: v for k, v in cfg.items() if k != 'type'}
    return cls(**args, **{key: channels})


def insert_plugins(owner: str, stages: Mapping[str, nn.Module], plugins: Sequence[dict]) -> None:
    """Build each plugin spec into every pluggable block of the stages it selects.

    Args:
        owner: The backbone's class name, for error messages.
        stages: The backbone's stages, in order.
        plugins: Specs ``dict(cfg=dict(type='SELayer', ratio=16), position='after_conv3',
            stages=(False, True, True, True))``; ``stages`` (one flag per stage) defaults to all
            stages. Every pluggable block of a selected stage must offer ``position``.

    Raises:
        ValueError: A spec with unknown or missing keys, a ``stages`` of the wrong length, or a
            selected stage that cannot take the plugin at that position (the message names the
            stage and the positions its blocks offer).
    """
    names = list(stages)
    for index, spec in enumerate(plugins):
        label = f'{owner}: plugins[{index}]'
        if not isinstance(spec, Mapping):
            raise TypeError(f'{label} must be a dict with keys {PLUGIN_KEYS}, got {spec!r}')
        unknown = sorted(set(spec) - set(PLUGIN_KEYS))
        missing = [key for key in ('cfg', 'position') if key not in spec]
        if unknown or missing:
            raise ValueError(f'{label} has unknown keys {unknown} / lacks {missing}; a plugin '
                             f'spec has keys {PLUGIN_KEYS}')
        cfg, position = spec['cfg'], spec['position']
        selected: Optional[Sequence[bool]] = spec.get('stages')
        if selected is None:
            selected = (True, ) * len(names)
        if len(selected) != len(names):
            raise ValueError(f'{label}: stages has {len(selected)} flags but {owner} has '
                             f'{len(names)} stages ({", ".join(names)})')
        plugin_type = cfg.get('type') if isinstance(cfg, Mapping) else cfg
        for stage_index, (name, flag) in enumerate(zip(names, selected)):
            if not flag:
                continue
            where = f'{label} ({plugin_type} at {position!r}) cannot go into stage ' \
                    f'{stage_index} ({name})'
            blocks = pluggable_blocks(stages[name])
            if not blocks:
                kinds = sorted({type(m).__name__ for m in stages[name].children()}) \
                    or [type(stages[name]).__name__]
                raise ValueError(f'{where}: it holds no block that takes plugins (it holds '
                                 f'{", ".join(kinds)}); deselect it in stages')
            for block in blocks:
                points = block.plugin_points
                if position not in points:
                    raise ValueError(f'{where}: its {type(block).__name__} blocks offer the '
                                     f'positions {tuple(points)}, not {position!r}')
                block.add_plugin(position, build_plugin(cfg, points[position]), plugin_name(cfg))


__all__ = [
    'PluggableBlock', 'pluggable_blocks', 'plugin_class', 'plugin_name', 'build_plugin',
    'insert_plugins'
]
