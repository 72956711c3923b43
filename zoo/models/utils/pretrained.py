"""Transfer learning: load a classification checkpoint into a model with a different head.

The three ways to adapt a pretrained classifier to new classes, chosen by ``mode``:

* ``'replace_head'``: load everything, then replace the classifier. The checkpoint must be the
  same network as the model outside the head (any missing, unexpected or shape-mismatched key
  there is an error); the checkpoint's head is discarded and the model keeps its new head.
* ``'drop_head'``: drop the checkpoint's classifier keys and load the rest. Missing and
  unexpected keys are reported; a shape mismatch is an error (as ``load_state_dict`` does).
* ``'match_shapes'``: load every tensor whose name and shape match; report the rest. This is
  MMEngine's ``Pretrained`` behaviour, and the default.

Every load prints a table of the keys that were not loaded and why; a checkpoint none of
whose keys match the model is an error naming both sides' keys.
"""
import logging
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.model.weight_init import PretrainedInit as MMEnginePretrainedInit
from mmengine.model.weight_init import update_init_info
from mmengine.runner.checkpoint import CheckpointLoader
from torch import nn

from zoo.registry import WEIGHT_INITIALIZERS

LOAD_MODES = ('replace_head', 'drop_head', 'match_shapes')
_ROWS_PER_STATUS = 20  # longer lists are cut in the table (the report keeps them all)


@dataclass
class LoadReport:
    """What :func:`load_pretrained` did with each key.

    Attributes:
        loaded: Keys copied from the checkpoint into the model.
        missing: Model keys the checkpoint lacks (they keep their initialisation).
        unexpected: Checkpoint keys the model lacks.
        mismatched: Keys in both whose shapes differ (not loaded).
        dropped: Checkpoint keys of the head, left out on purpose (``replace_head`` /
            ``drop_head``).
        new_head: Model keys of the head, which keep their own initialisation.
        shapes: ``key -> (checkpoint shape, model shape)``, ``None`` where a side lacks it.
    """
    loaded: List[str] = field(default_factory=list)
    missing: List[str] = field(default_factory=list)
    unexpected: List[str] = field(default_factory=list)
    mismatched: List[str] = field(default_factory=list)
    dropped: List[str] = field(default_factory=list)
    new_head: List[str] = field(default_factory=list)
    shapes: Dict[str, Tuple[Optional[tuple], Optional[tuple]]] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        """Whether every key was loaded but the head's, in the modes that replace it."""
        return not (self.missing or self.unexpected or self.mismatched)

    def table(self) -> str:
        """A Markdown table of every key that was not loaded, and why ('' if none)."""
        replaced = [k for k in self.dropped if k in set(self.new_head)]
        groups = (
            ('shape differs: not loaded', self.mismatched),
            ('not in the model: ignored', self.unexpected),
            ('not in the checkpoint: keeps its initialisation', self.missing),
            ('head: replaced by the new one', replaced),
            ("checkpoint's head: dropped", [k for k in self.dropped if k not in replaced]),
            ('new head: keeps its initialisation', [k for k in self.new_head if k not in replaced]),
        )
        rows = []
        for status, keys in groups:
            for key in keys[:_ROWS_PER_STATUS]:
                ckpt_shape, model_shape = self.shapes.get(key, (None, None))
                rows.append((key, _shape(ckpt_shape), _shape(model_shape), status))
            if len(keys) > _ROWS_PER_STATUS:
                rows.append((f'... {len(keys) - _ROWS_PER_STATUS} more', '', '', status))
        if not rows:
            return ''
        header = ('key', 'checkpoint', 'model', 'status')
        widths = [max(len(row[i]) for row in rows + [header]) for i in range(4)]
        lines = [
            '| ' + ' | '.join(cell.ljust(w) for cell, w in zip(row, widths)) + ' |'
            for row in [header] + rows
        ]
        lines.insert(1, '|' + '|'.join('-' * (w + 2) for w in widths) + '|')
        return '\n'.join(lines)


def _shape(shape: Optional[tuple]) -> str:
    return '-' if shape is None else str(tuple(shape))


def extract_state_dict(checkpoint: dict, source: str = 'checkpoint') -> Dict[str, torch.Tensor]:
    """The tensors of a checkpoint: its ``state_dict`` (MMEngine, zoo, mmpretrain), its
    ``model`` (DeiT, timm trainers) or the checkpoint itself (torchvision)."""
    if not isinstance(checkpoint, dict):
        raise ValueError(f'{source} holds a {type(checkpoint).__name__}, not a state dict')
    for key in ('state_dict', 'model'):
        if isinstance(checkpoint.get(key), dict):
            checkpoint = checkpoint[key]
            break
    tensors = OrderedDict((k, v) for k, v in checkpoint.items() if isinstance(v, torch.Tensor))
    # module versions, read by _load_from_state_dict (MMEngine's load_checkpoint keeps them too)
    tensors._metadata = getattr(checkpoint, '_metadata', None)
    if not tensors:
        raise ValueError(f'{source} holds no tensors: its top-level keys are '
                         f'{sorted(checkpoint)[:20]}')
    return tensors


def apply_load_pre_hooks(model: nn.Module, state: dict) -> None:
    """Let the model adapt checkpoint tensors in place as ``load_state_dict`` would (a ViT
    resizes a position embedding made for another input size), before shapes are compared:
    otherwise ``match_shapes`` would drop a tensor that the model knows how to take."""
    for name, module in model.named_modules():
        prefix = f'{name}.' if name else ''
        for hook in module._load_state_dict_pre_hooks.values():
            hook(state, prefix, {}, False, [], [], [])


def load_pretrained(model: nn.Module,
                    checkpoint: Union[str, Dict[str, torch.Tensor]],
                    mode: str = 'match_shapes',
                    prefix: Optional[str] = None,
                    head_prefix: str = 'head.',
                    revise_keys: Sequence[Tuple[str, str]] = ((r'^module\.', ''), ),
                    map_location: str = 'cpu') -> LoadReport:
    """Load a (classification) checkpoint into ``model``, whose head may differ.

    Example:
        >>> # an ImageNet ResNet-50 (1000 classes) into a 5-class classifier
        >>> report = load_pretrained(model, 'checkpoints/resnet50_in1k.pth', mode='drop_head')
        >>> report.dropped
        ['head.fc.weight', 'head.fc.bias']

    Args:
        model: The model to load into (a DDP wrapper is unwrapped).
        checkpoint: A checkpoint path or URL (read with ``weights_only=True``) or a state dict.
        mode: ``'replace_head'``, ``'drop_head'`` or ``'match_shapes'`` (module docstring).
        prefix: Load only the checkpoint keys under this prefix, with it stripped (e.g.
            ``'backbone.'`` to initialise a backbone from a classifier's checkpoint).
        head_prefix: The head's keys, as named in ``model`` after ``prefix`` and
            ``revise_keys``.
        revise_keys: ``(regex, replacement)`` substitutions applied to the checkpoint's keys in
            order, as in MMEngine's ``load_checkpoint``. torchvision's ResNet-50 file fits a
            zoo classifier with ``[(r'^fc\\.', 'head.fc.'), (r'^(?!head\\.)', 'backbone.')]``.
        map_location: Where the tensors are loaded.

    Returns:
        A :class:`LoadReport`.

    Raises:
        ValueError: for an unknown mode, a prefix no key has, a checkpoint none of whose keys
            match the model, or (``replace_head`` / ``drop_head``) the mismatches those modes
            refuse; the message names the keys.
    """
    if mode not in LOAD_MODES:
        raise ValueError(f'load_pretrained: mode must be one of {LOAD_MODES}, got {mode!r}')
    if is_model_wrapper(model):
        model = model.module
    source = checkpoint if isinstance(checkpoint, str) else 'the given state dict'
    if isinstance(checkpoint, str):
        checkpoint = CheckpointLoader.load_checkpoint(checkpoint, map_location=map_location)
    state = extract_state_dict(checkpoint, source)
    metadata = state._metadata

    if prefix:
        prefix = prefix if prefix.endswith('.') else prefix + '.'
        under = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
        if not under:
            raise ValueError(f'{source} has no key under prefix {prefix!r}; its keys begin '
                             f'with {_key_sample(state)}')
        state = under
    for pattern, replacement in revise_keys:
        state = {re.sub(pattern, replacement, k): v for k, v in state.items()}

    state = dict(state)
    apply_load_pre_hooks(model, state)
    target = model.state_dict()
    report = LoadReport(
        shapes={
            key: (tuple(state[key].shape) if key in state else None,
                  tuple(target[key].shape) if key in target else None)
            for key in {
                **state,
                **target
            }
        })
    handles_head = mode in ('replace_head', 'drop_head')
    if handles_head:
        report.dropped = [k for k in state if k.startswith(head_prefix)]
        report.new_head = [k for k in target if k.startswith(head_prefix)]
        if not report.new_head:
            raise ValueError(f'load_pretrained(mode={mode!r}): {type(model).__name__} has no '
                             f'key starting with head_prefix {head_prefix!r}; its keys begin '
                             f'with {_key_sample(target)}')

    def in_head(key: str) -> bool:
        return handles_head and key.startswith(head_prefix)

    to_load = OrderedDict()
    to_load._metadata = None if prefix else metadata  # a prefix changes the module names
    for key, value in state.items():
        if in_head(key):
            continue
        if key not in target:
            report.unexpected.append(key)
        elif value.shape != target[key].shape:
            report.mismatched.append(key)
        else:
            to_load[key] = value
    report.loaded = list(to_load)
    report.missing = [k for k in target if k not in state and not in_head(k)]

    description = (f'{len(report.loaded)} of {len(state)} checkpoint tensors loaded into '
                   f'{type(model).__name__} from {source} (mode {mode!r})')
    table = report.table()
    if not report.loaded:
        raise ValueError(
            f'{source}: none of its keys match {type(model).__name__} (mode {mode!r}). '
            f'Checkpoint keys begin with {_key_sample(state)}; model keys begin with '
            f'{_key_sample(target)}. Set prefix or revise_keys so that they correspond.')
    if mode == 'replace_head' and not report.complete:
        raise ValueError(f'load_pretrained(mode={mode!r}): {source} is not the same network as '
                         f'{type(model).__name__} outside the head {head_prefix!r}. Use '
                         f'mode="match_shapes" to load what fits.\n{table}')
    if mode == 'drop_head' and report.mismatched:
        raise ValueError(f'load_pretrained(mode={mode!r}): shapes of {source} differ from '
                         f'{type(model).__name__} outside the head {head_prefix!r}. Use '
                         f'mode="match_shapes" to skip them.\n{table}')
    model.load_state_dict(to_load, strict=False)
    print_log(
        description + (f':\n{table}' if table else ''),
        logger='current',
        level=logging.INFO if report.complete else logging.WARNING)
    return report


def _key_sample(keys, count: int = 5) -> str:
    keys = list(keys)
    return ', '.join(
        keys[:count]) + (f' (and {len(keys) - count} more)' if len(keys) > count else '')


@WEIGHT_INITIALIZERS.register_module(name='Pretrained')
class PretrainedInit(MMEnginePretrainedInit):
    """MMEngine's ``Pretrained`` initialisation with the three transfer-learning modes and a
    report of what was and was not loaded (:func:`load_pretrained`).

    It is registered under MMEngine's own name, ``Pretrained``, because MMEngine's
    ``BaseModule.init_weights`` recognises that name and applies it after the submodules' own
    initialisation (any other name would be overwritten by them). In a zoo config
    (``default_scope='zoo'``) every ``dict(type='Pretrained', ...)`` therefore gets this one;
    without ``mode`` it loads what MMEngine's would, and adds the table and the error for a
    checkpoint that matches nothing.

    Example:
        >>> # the whole classifier from an ImageNet checkpoint, with a new 5-class head
        >>> model = dict(
        ...     type='ImageClassifier',
        ...     init_cfg=dict(type='Pretrained', checkpoint='checkpoints/resnet50_in1k.pth',
        ...                   mode='replace_head'),
        ...     backbone=dict(type='ResNet', depth=50), neck=dict(type='GlobalAveragePooling'),
        ...     head=dict(type='LinearClsHead', num_classes=5, in_channels=2048))
        >>> # or only the backbone, from a classifier's checkpoint (the mmpretrain way)
        >>> backbone = dict(type='ResNet', depth=50, init_cfg=dict(
        ...     type='Pretrained', checkpoint='checkpoints/resnet50_in1k.pth',
        ...     prefix='backbone.'))

    Args:
        checkpoint: Checkpoint path or URL.
        prefix: Take only the checkpoint keys under this prefix, stripped.
        map_location: Where tensors are loaded.
        mode: ``'replace_head'``, ``'drop_head'`` or ``'match_shapes'``.
        head_prefix: The head's keys in the module being initialised.
        revise_keys: Regex substitutions applied to the checkpoint keys.
    """

    def __init__(self,
                 checkpoint: str,
                 prefix: Optional[str] = None,
                 map_location: str = 'cpu',
                 mode: str = 'match_shapes',
                 head_prefix: str = 'head.',
                 revise_keys: Sequence[Tuple[str, str]] = ((r'^module\.', ''), )):
        if mode not in LOAD_MODES:
            raise ValueError(f'Pretrained: mode must be one of {LOAD_MODES}, got {mode!r}')
        super().__init__(checkpoint, prefix=prefix, map_location=map_location)
        self.mode = mode
        self.head_prefix = head_prefix
        self.revise_keys = [tuple(pair) for pair in revise_keys]

    def __call__(self, module: nn.Module) -> None:
        load_pretrained(
            module,
            self.checkpoint,
            mode=self.mode,
            prefix=self.prefix,
            head_prefix=self.head_prefix,
            revise_keys=self.revise_keys,
            map_location=self.map_location)
        if hasattr(module, '_params_init_info'):
            update_init_info(module, init_info=self._get_init_info())

    def _get_init_info(self) -> str:
        return f'{type(self).__name__}: load from {self.checkpoint} (mode {self.mode!r})'
