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
import os.path as osp
import pickle
from collections import OrderedDict
from typing import Any, Optional

import numpy as np
import torch
from mmengine.dist import get_dist_info
from mmengine.logging import HistoryBuffer
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


def to_plain(obj: Any, path: str = 'checkpoint') -> Any:
    """``obj`` with every ``HistoryBuffer`` and numpy value replaced by tagged plain data.

    Raises:
        TypeError: naming the key path of any other object that a weights-only load could not
            read back (better to stop at save time than to write a file resume cannot open).
    """
    if isinstance(obj, HistoryBuffer):
        log_history, count_history = obj.data
        return {_HISTORY_BUFFER: dict(log_history=to_plain(log_history), count_history=to_plain(
            count_history), max_length=obj.max_length)}
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


def load_from_local_safely(filename: str, map_location=None) -> Any:
    """``torch.load(weights_only=True)`` with errors that name the file and what is wrong.

    Raises:
        FileNotFoundError: if ``filename`` does not exist.
        UnsafeCheckpointError: if the file holds objects that only a full unpickle (able to run
            arbitrary code) could build; nothing in it is executed.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint {filename} does not exist')
    try:
        return torch.load(filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as error:
        raise _refusal(filename, error) from None


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
