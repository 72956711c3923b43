"""Checkpoints that ``torch.load(weights_only=True)`` reads, and a loader that refuses the rest.

Since torch 2.6, ``torch.load`` unpickles only tensors and plain data unless told otherwise, so
that opening a checkpoint cannot run code. MMEngine 0.10.7's ``CheckpointHook`` writes objects
outside that set (``HistoryBuffer`` with numpy arrays in the message hub), so its own ``resume``
fails. Rather than allowing more globals (numpy scalars unpickle through ``builtins.getattr``,
which would let a crafted file run code), zoo writes checkpoints as plain data and converts the
few non-plain objects back after loading (:func:`to_plain_checkpoint` /
:func:`from_plain_checkpoint`, used by ``SafeCheckpointHook``). Every local checkpoint, the
zoo's and third parties', local or downloaded, is loaded with ``weights_only=True``.
"""
import logging
import os.path as osp
import pickle
import re
import struct
import zipfile
from collections import OrderedDict
from typing import Any, List, Optional

import numpy as np
import torch
from mmengine.dist import get_dist_info
from mmengine.logging import HistoryBuffer, print_log
from mmengine.runner import checkpoint as mmengine_checkpoint
from mmengine.runner.checkpoint import CheckpointLoader

# Tags of the objects converted to plain data; a tagged dict has exactly one key.
_HISTORY_BUFFER = '__zoo_history_buffer__'
_NDARRAY = '__zoo_ndarray__'
_NUMPY_SCALAR = '__zoo_numpy_scalar__'

_PLAIN_LEAVES = (type(None), bool, int, float, complex, str, bytes, torch.Tensor, torch.dtype,
                 torch.device, torch.Size)


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint holds Python objects that unpickling would have to execute."""


class DamagedCheckpointError(ValueError):
    """A checkpoint file is empty, truncated or no PyTorch checkpoint at all."""


class CheckpointMismatchError(RuntimeError):
    """A checkpoint's tensors do not fit the model (missing, unexpected or other shapes)."""


def to_plain(obj: Any, path: str = 'checkpoint') -> Any:
    """``obj`` with every ``HistoryBuffer`` and numpy value replaced by tagged plain data.

    Raises:
        TypeError: naming the key path of any other object that a weights-only load could not
            read back (better to stop at save time than to write a file resume cannot open).
    """
    if isinstance(obj, HistoryBuffer):
        log_history, count_history = obj.data
        return {
            _HISTORY_BUFFER:
            dict(
                log_history=to_plain(log_history),
                count_history=to_plain(count_history),
                max_length=obj.max_length)
        }
    if isinstance(obj, np.ndarray):
        if obj.dtype == object:
            raise TypeError(f'{path} is a numpy array of Python objects, which a weights-only '
                            'checkpoint cannot hold')
        return {_NDARRAY: torch.from_numpy(np.ascontiguousarray(obj))}
    if isinstance(obj, np.generic):
        return {_NUMPY_SCALAR: torch.from_numpy(np.asarray(obj).reshape(1))}
    if isinstance(obj, _PLAIN_LEAVES):
        return obj
    if isinstance(obj, dict):
        converted = ((key, to_plain(value, f'{path}[{key!r}]')) for key, value in obj.items())
        return OrderedDict(converted) if isinstance(obj, OrderedDict) else dict(converted)
    if isinstance(obj, (list, tuple)):
        items = [to_plain(value, f'{path}[{i}]') for i, value in enumerate(obj)]
        return items if isinstance(obj, list) else tuple(items)
    raise TypeError(f'{path} is a {type(obj).__module__}.{type(obj).__qualname__}, which a '
                    'weights-only checkpoint cannot hold; store it as tensors or plain data')


def from_plain(obj: Any) -> Any:
    """Inverse of :func:`to_plain`."""
    if isinstance(obj, dict):
        if len(obj) == 1:
            (tag, value), = obj.items()
            if tag == _HISTORY_BUFFER:
                return HistoryBuffer(
                    from_plain(value['log_history']), from_plain(value['count_history']),
                    value['max_length'])
            if tag == _NDARRAY:
                return value.numpy()
            if tag == _NUMPY_SCALAR:
                return value.numpy()[0]
        converted = ((key, from_plain(value)) for key, value in obj.items())
        return OrderedDict(converted) if isinstance(obj, OrderedDict) else dict(converted)
    if isinstance(obj, list):
        return [from_plain(value) for value in obj]
    if isinstance(obj, tuple):
        return tuple(from_plain(value) for value in obj)
    return obj


def to_plain_checkpoint(checkpoint: dict) -> None:
    """Make ``checkpoint`` (a Runner's, before saving) plain data, in place."""
    for key in list(checkpoint):
        checkpoint[key] = to_plain(checkpoint[key], f'checkpoint[{key!r}]')


def from_plain_checkpoint(checkpoint: dict) -> None:
    """Undo :func:`to_plain_checkpoint` in place (after loading)."""
    for key in list(checkpoint):
        checkpoint[key] = from_plain(checkpoint[key])


def _refusal(source: str, error: pickle.UnpicklingError) -> UnsafeCheckpointError:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    detail = next((line for line in lines if 'GLOBAL' in line or 'Unsupported' in line),
                  lines[-1] if lines else type(error).__name__)
    return UnsafeCheckpointError(
        f'refused to load checkpoint {source}: it holds Python objects that unpickling would '
        f'have to construct or call, which could run code ({detail}). zoo loads only tensors and '
        'plain data (torch.load weights_only=True). If you trust the file, convert it once: '
        'torch.save(torch.load(path, weights_only=False)["state_dict"], new_path).')


def _damage(filename: str) -> Optional[str]:
    """What is wrong with the file, if its bytes alone tell (no unpickling)."""
    size = osp.getsize(filename)
    if size == 0:
        return 'is empty (0 bytes): its save never completed'
    with open(filename, 'rb') as f:
        head = f.read(4)
    if head == b'PK\x03\x04':  # torch.save's zip archive; its central directory comes last
        if not zipfile.is_zipfile(filename):
            return f'is truncated ({size} bytes; the end of the zip archive is missing)'
        return None
    if head[:1] == b'\x80':  # a pickle (protocol >= 2), as torch.save wrote before torch 1.6
        return None
    return (f'is not a PyTorch checkpoint: neither a zip archive (torch.save) nor a pickle '
            f'({size} bytes, starting with {head!r})')


def load_from_local_safely(filename: str, map_location=None) -> Any:
    """``torch.load(weights_only=True)`` with errors that name the file and what is wrong.

    Raises:
        FileNotFoundError: if ``filename`` does not exist.
        DamagedCheckpointError: if the file is empty, truncated or not a checkpoint at all.
        UnsafeCheckpointError: if the file holds objects that only a full unpickle (able to run
            arbitrary code) could build; nothing in it is executed.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint {filename} does not exist')
    damage = _damage(filename)
    if damage is not None:
        raise DamagedCheckpointError(f'checkpoint {filename} {damage}')
    try:
        return torch.load(filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as error:
        with open(filename, 'rb') as f:
            head = f.read(2)
        # a pickle that names code to run, or a raw pickle (pickle.dump, protocol 2..5) whose
        # opcodes the weights-only unpickler does not take: it may hold code either way
        if 'GLOBAL' in str(error) or (len(head) == 2 and head[0] == 0x80 and 2 <= head[1] <= 5):
            raise _refusal(filename, error) from None
        detail = next((line.strip() for line in str(error).splitlines() if 'Unsupported' in line),
                      type(error).__name__)
        raise DamagedCheckpointError(f'checkpoint {filename} is damaged or not a PyTorch '
                                     f'checkpoint: its pickle is malformed ({detail})') from None
    except (EOFError, struct.error):  # the unpickler ran out of bytes
        raise DamagedCheckpointError(f'checkpoint {filename} is truncated: its pickle ends '
                                     'early') from None
    except RuntimeError as error:
        if 'PytorchStreamReader' not in str(error):
            raise
        raise DamagedCheckpointError(f'checkpoint {filename} is damaged: '
                                     f'{str(error).splitlines()[0]}') from None


def _few(keys: List[str], limit: int = 8) -> str:
    shown = ', '.join(keys[:limit])
    return shown + (f', ... ({len(keys) - limit} more)' if len(keys) > limit else '')


def check_checkpoint_fits(model: torch.nn.Module,
                          checkpoint: dict,
                          source: str,
                          strict: bool = True,
                          resuming: bool = False) -> None:
    """Check, before anything is loaded, that the checkpoint's tensors fit ``model``.

    Args:
        model: The model (unwrapped) the checkpoint is for.
        checkpoint: The loaded checkpoint (``state_dict`` inside, or the state dict itself);
            a ``module.`` prefix (a wrapped model's) is ignored, as MMEngine's loader strips it.
        source: The file, for the message.
        strict: Every tensor of the model must be there with its shape, and no other. If
            False, it is enough that some tensor fits; the others are logged.
        resuming: For the message only.

    Raises:
        CheckpointMismatchError: naming the keys that are missing, unexpected or of another
            shape.
    """
    state = checkpoint.get('state_dict', checkpoint)
    state = {re.sub(r'^module\.', '', key): value for key, value in state.items()}
    expected = model.state_dict()
    missing = [key for key in expected if key not in state]
    unexpected = [key for key in state if key not in expected]
    mismatched = [
        key for key in expected if key in state and hasattr(state[key], 'shape')
        and tuple(state[key].shape) != tuple(expected[key].shape)
    ]
    if not (missing or unexpected or mismatched):
        return
    fitting = len(expected) - len(missing) - len(mismatched)
    problems = []
    if mismatched:
        problems.append('other shapes: ' + _few([
            f'{key} (checkpoint {tuple(state[key].shape)}, model {tuple(expected[key].shape)})'
            for key in mismatched
        ]))
    if missing:
        problems.append(f'{len(missing)} tensors of the model are not in it: {_few(missing)}')
    if unexpected:
        problems.append(f'{len(unexpected)} tensors are not in the model: {_few(unexpected)}')
    summary = f'{fitting} of the model\'s {len(expected)} tensors fit; ' + '; '.join(problems)
    if resuming:
        raise CheckpointMismatchError(f'cannot resume from checkpoint {source}: it does not '
                                      f'match the model ({summary}). Resume only a checkpoint '
                                      'of the same config; to fine-tune, use load_from')
    if fitting == 0:
        raise CheckpointMismatchError(f'checkpoint {source} does not match the model: none of '
                                      f'its tensors fit ({summary}); is it another model\'s?')
    if strict:
        raise CheckpointMismatchError(
            f'checkpoint {source} does not match the model ({summary}). To load only the '
            'tensors that fit (a fine-tune from another model), set load_from_strict = False '
            '(--cfg-options load_from_strict=False)')
    print_log(
        f'load_from_strict=False: loading {fitting} of the model\'s {len(expected)} '
        f'tensors from {source}; ' + '; '.join(problems),
        logger='current',
        level=logging.WARNING)


def load_from_http_safely(url: str, map_location=None, model_dir: Optional[str] = None) -> Any:
    """MMEngine's ``http(s)://`` loader (download once into the torch hub cache, rank 0 first),
    but weights-only: ``torch.hub.load_state_dict_from_url`` unpickles anything by default."""

    def load() -> Any:
        try:
            return torch.hub.load_state_dict_from_url(
                url, model_dir=model_dir, map_location=map_location, weights_only=True)
        except pickle.UnpicklingError as error:
            raise _refusal(url, error) from None

    rank, world_size = get_dist_info()
    checkpoint = load() if rank == 0 else None
    if world_size > 1:
        torch.distributed.barrier()  # rank 0 has downloaded it; the others read the cache
        if rank > 0:
            checkpoint = load()
    return checkpoint


# Every checkpoint MMEngine opens from disk or the web (load_from, resume, init_cfg Pretrained)
# goes through the loaders above: the same weights-only rule as torch.load's default, with a
# clear refusal, also where torch.hub would otherwise unpickle anything. MMEngine's
# torchvision://, open-mmlab:// and mmcls:// schemes resolve their URL, then call the module's
# `load_from_http` by name: pointing that name at the safe loader covers them all at once.
CheckpointLoader.register_scheme(prefixes='', loader=load_from_local_safely, force=True)
CheckpointLoader.register_scheme(
    prefixes=('http://', 'https://'), loader=load_from_http_safely, force=True)
mmengine_checkpoint.load_from_http = load_from_http_safely
