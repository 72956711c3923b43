"""The states of every global random number generator a training run draws from.

A resumed run is bit-exact only if it continues every random stream where the first run left
it: Python's ``random`` and numpy's global generator (transforms such as ``RandomCrop`` draw
from it), torch's CPU generator (dropout, and the data loader's base seed, from which every
worker's torch seed derives) and each CUDA device's generator. The sampler's order is a
function of (seed, epoch) and MMEngine's worker seeding one of (seed, rank, worker id), so
they follow from the seed and the resumed epoch.
"""
import random
from typing import Any, Dict

import numpy as np
import torch


def get_rng_state() -> Dict[str, Any]:
    """The state of every global generator, as plain data (tuples, arrays and tensors)."""
    kind, keys, pos, has_gauss, cached_gaussian = np.random.get_state()
    state = dict(
        python=random.getstate(),
        numpy=dict(
            kind=kind,
            keys=keys,
            pos=int(pos),
            has_gauss=int(has_gauss),
            cached_gaussian=float(cached_gaussian)),
        torch=torch.get_rng_state(),
    )
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: Dict[str, Any]) -> None:
    """Restore what :func:`get_rng_state` returned."""
    version, internal, gauss = state['python']
    random.setstate((version, tuple(internal), gauss))
    numpy = state['numpy']
    np.random.set_state((numpy['kind'], np.asarray(numpy['keys'], dtype=np.uint32), numpy['pos'],
                         numpy['has_gauss'], numpy['cached_gaussian']))
    torch.set_rng_state(state['torch'])
    if 'cuda' in state and torch.cuda.is_available():  # the devices both runs see
        for device, cuda_state in enumerate(state['cuda'][:torch.cuda.device_count()]):
            torch.cuda.set_rng_state(cuda_state, device)
