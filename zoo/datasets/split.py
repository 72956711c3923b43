from typing import List, Sequence, Tuple

import numpy as np


def check_val_ratio(val_ratio: float) -> float:
    """Return ``val_ratio`` as a float, or raise if it is not strictly between 0 and 1."""
    if isinstance(val_ratio, bool) or not isinstance(val_ratio, (int, float)) \
            or not 0 < val_ratio < 1:
        raise ValueError(f'val_ratio must be a number strictly between 0 and 1, got {val_ratio!r}')
    return float(val_ratio)


def stratified_split(keys: Sequence[str],
                     labels: Sequence[int],
                     val_ratio: float,
                     seed: int = 0) -> Tuple[List[int], List[int]]:
    """Split samples into disjoint train and val subsets, class by class, reproducibly.

    Within every class the samples are ordered by ``keys`` (their relative paths), so the split
    does not depend on the order a file system lists them in; then a ``numpy`` generator seeded
    with ``seed`` (PCG64, identical on every platform) shuffles them, and the first
    ``round(n * val_ratio)`` go to val. A class with at least two samples keeps at least one in
    each subset; a class with a single sample goes to train.

    Args:
        keys: One unique sort key a sample (e.g. its path relative to the data folder).
        labels: The class index of every sample.
        val_ratio: The share of every class that goes to val, in (0, 1).
        seed: The seed of the shuffle.

    Returns:
        The sorted indices (into ``keys``) of the train samples and of the val samples.
    """
    if len(keys) != len(labels):
        raise ValueError(f'keys and labels differ in length: {len(keys)} != {len(labels)}')
    val_ratio = check_val_ratio(val_ratio)
    rng = np.random.default_rng(seed)
    by_class = {}
    for index, label in enumerate(labels):
        by_class.setdefault(int(label), []).append(index)
    train, val = [], []
    for label in sorted(by_class):
        members = sorted(by_class[label], key=lambda i: keys[i])
        count = len(members)
        num_val = int(round(count * val_ratio))
        if count >= 2:
            num_val = min(max(num_val, 1), count - 1)
        else:
            num_val = 0
        order = rng.permutation(count)
        val.extend(members[i] for i in order[:num_val])
        train.extend(members[i] for i in order[num_val:])
    return sorted(train), sorted(val)
