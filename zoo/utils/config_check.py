"""Config mistakes caught before anything runs, with the key and what was meant.

MMEngine takes a ``--cfg-options`` key it does not know as a new entry, a text value where a
number was meant as text, and passes a hook's unknown argument on until it fails, an epoch
later, at the first save. These checks name the mistake at once.
"""
import difflib
import inspect
from typing import Any, Dict, Iterable, List, Optional

from mmengine.config import Config
from mmengine.hooks import CheckpointHook
from mmengine.registry import DefaultScope
from mmengine.runner import Runner

# top-level keys that MMEngine's Runner does not take but zoo reads
ZOO_KEYS = ('load_from_strict', )


def _close(key: str, candidates: Iterable[str]) -> str:
    matches = difflib.get_close_matches(key, sorted(set(candidates)), n=3, cutoff=0.6)
    return f'; did you mean {" or ".join(repr(m) for m in matches)}?' if matches else ''


def _lookup(cfg: Any, dotted: str):
    """The value at ``dotted`` and whether it exists (list indices included)."""
    node = cfg
    for part in dotted.split('.'):
        if hasattr(node, 'keys') and part in node.keys():  # a dict or the Config itself
            node = node[part]
        elif isinstance(node, (list, tuple)) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None, False
    return node, True


def check_cfg_options(cfg: Config, options: Dict[str, Any]) -> None:
    """Check ``--cfg-options`` against the config before they are merged into it.

    * A top-level key must exist in the config, be an argument of MMEngine's ``Runner`` or a
      key zoo reads; otherwise it would be ignored silently.
    * A value given as text where the config holds a number or a bool (``max_epochs=ten``)
      is an error naming the key.

    Raises:
        KeyError: for an unknown top-level key, with the closest existing ones.
        TypeError: for a text value where a number or bool belongs.
    """
    runner_args = [name for name in inspect.signature(Runner.__init__).parameters if name != 'self']
    known = list(cfg.keys()) + runner_args + list(ZOO_KEYS)
    for key, value in options.items():
        top = key.split('.')[0]
        if top not in known:
            raise KeyError(f'--cfg-options {key}: the config has no key {top!r} and MMEngine\'s '
                           f'Runner takes none{_close(top, known)}')
        current, exists = _lookup(cfg, key)
        if not exists or not isinstance(value, str):
            continue
        if isinstance(current, bool) or isinstance(current, (int, float)):
            kind = {bool: 'a bool', int: 'an int', float: 'a float'}[type(current)]
            raise TypeError(f'--cfg-options {key}={value}: {key} must be {kind} (the config '
                            f'has {current!r}), got the text {value!r}')


def _accepted_arguments(cls: type) -> Optional[List[str]]:
    """The keyword arguments ``cls(...)`` accepts, following ``**kwargs`` up the class chain;
    None if some ``__init__`` takes ``**kwargs`` that no parent names."""
    names: List[str] = []
    for klass in cls.__mro__:
        init = klass.__dict__.get('__init__')
        if init is None:
            continue
        if klass is object:
            return names
        params = inspect.signature(init).parameters.values()
        names.extend(p.name for p in params
                     if p.name != 'self' and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))
        if not any(p.kind == p.VAR_KEYWORD for p in params):
            return names
        if klass is CheckpointHook:
            # CheckpointHook passes **kwargs to Runner.save_checkpoint, whose every argument
            # it already sets itself: nothing else is accepted
            return names
    return None


def check_hook_arguments(cfg: Config) -> None:
    """Check every hook of ``default_hooks`` and ``custom_hooks`` against its class's
    signature, so a misspelled argument fails now, not when the hook first uses it.

    Raises:
        TypeError: naming the hook, the unknown argument and the closest accepted ones.
    """
    from zoo.registry import HOOKS
    hooks = [(f'default_hooks.{name}', hook)
             for name, hook in (cfg.get('default_hooks') or {}).items()]
    hooks += [(f'custom_hooks[{i}]', hook) for i, hook in enumerate(cfg.get('custom_hooks') or [])]
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope')):
        for where, hook in hooks:
            if not isinstance(hook, dict) or 'type' not in hook:
                continue
            try:
                cls = hook['type'] if isinstance(hook['type'], type) else HOOKS.get(hook['type'])
            except Exception:  # noqa: BLE001 (a scope that cannot be imported here)
                cls = None
            if cls is None:
                continue  # the Runner names what it cannot build itself
            accepted = _accepted_arguments(cls)
            if accepted is None:
                continue
            for argument in hook:
                if argument not in ('type', 'priority', *accepted):  # the Runner takes those
                    raise TypeError(f'{where}: {cls.__name__} has no argument {argument!r}'
                                    f'{_close(argument, accepted)} (it takes: '
                                    f'{", ".join(accepted)})')
