import math
from typing import Iterator, Optional, Sized

import torch
from mmengine.dist import get_dist_info, sync_random_seed
from torch.utils.data import Sampler

from zoo.registry import DATA_SAMPLERS


@DATA_SAMPLERS.register_module()
class RepeatAugSampler(Sampler):
    """Repeated augmentation (Hoffer et al. 2020), as mmpretrain's ``RepeatAugSampler``.

    Each index of a (shuffled) epoch is repeated ``num_repeats`` times in a row and the list
    dealt round-robin to the ranks, so every rank sees differently augmented copies of the same
    images; each rank keeps its first ``ceil(len(dataset) / world_size)`` indices, so an epoch
    stays as long as without repetition. The shuffle is ``randperm`` seeded with
    ``seed + epoch``, the same indices as mmpretrain's.

    Args:
        dataset: The data set.
        shuffle: Whether to shuffle before repeating (without it every epoch takes the same
            first part of the data).
        num_repeats: Copies of each index.
        seed: The shuffle seed, shared by the ranks; ``None`` draws one and syncs it.
    """

    def __init__(self,
                 dataset: Sized,
                 shuffle: bool = True,
                 num_repeats: int = 3,
                 seed: Optional[int] = None) -> None:
        if not isinstance(num_repeats, int) or num_repeats < 1:
            raise ValueError(f'RepeatAugSampler: num_repeats must be an int >= 1, '
                             f'got {num_repeats!r}')
        self.rank, self.world_size = get_dist_info()
        self.dataset = dataset
        self.shuffle = shuffle
        self.seed = sync_random_seed() if seed is None else seed
        self.epoch = 0
        self.num_repeats = num_repeats
        self.num_samples = math.ceil(len(dataset) * num_repeats / self.world_size)
        self.total_size = self.num_samples * self.world_size
        self.num_selected_samples = math.ceil(len(dataset) / self.world_size)

    def __iter__(self) -> Iterator[int]:
        if self.shuffle:
            generator = torch.Generator().manual_seed(self.seed + self.epoch)
            indices = torch.randperm(len(self.dataset), generator=generator).tolist()
        else:
            indices = list(range(len(self.dataset)))
        indices = [i for i in indices for _ in range(self.num_repeats)]
        indices += indices[:self.total_size - len(indices)]
        indices = indices[self.rank:self.total_size:self.world_size]
        return iter(indices[:self.num_selected_samples])

    def __len__(self) -> int:
        return self.num_selected_samples

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch
