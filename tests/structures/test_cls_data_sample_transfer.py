"""ClsDataSample crosses from data loader workers with its small tensors inside the pickle, not
each through a shared-memory file of its own, and arrives the same."""
import copy
import pickle
from multiprocessing.reduction import ForkingPickler

import torch
from mmengine.dataset import default_collate
from torch.utils.data import DataLoader, Dataset

from zoo.structures import ClsDataSample
from zoo.structures.cls_data_sample import IN_BAND_BYTES

SHARED_MEMORY = b'rebuild_storage_fd'  # torch's reduction of a CPU tensor (file descriptors)


def sample(index: int) -> ClsDataSample:
    sample = ClsDataSample(metainfo=dict(img_path=f'{index}.jpg', ori_shape=(7, 9)))
    sample.set_gt_label([index % 10, 3]).set_field(torch.full((5, ), index / 7), 'gt_score')
    sample.set_field(torch.arange(IN_BAND_BYTES // 8 + 1), 'large')  # over the limit
    sample.set_field(torch.ones(2, dtype=torch.bfloat16), 'bf16')  # numpy has no bfloat16
    return sample


class Samples(Dataset):

    def __len__(self) -> int:
        return 24

    def __getitem__(self, index: int) -> dict:
        return dict(
            inputs=torch.full((3, 4, 4), index, dtype=torch.uint8), data_samples=sample(index))


def assert_same(received: ClsDataSample, sent: ClsDataSample) -> None:
    assert type(received) is ClsDataSample
    assert received.metainfo == sent.metainfo
    assert set(received.keys()) == set(sent.keys())
    for name in sent.keys():
        value, expected = received.get(name), sent.get(name)
        assert value.dtype == expected.dtype and value.equal(expected), name


def to_another_process(obj) -> bytes:
    return bytes(ForkingPickler.dumps(obj))


def test_small_tensors_travel_in_the_pickle_and_large_ones_in_shared_memory():
    small = ClsDataSample().set_gt_label(4)
    assert SHARED_MEMORY not in to_another_process(small)
    assert SHARED_MEMORY in to_another_process(sample(1))  # its large field only
    received = pickle.loads(to_another_process(small))
    assert received.gt_label.equal(torch.tensor([4]))
    received.gt_label += 1  # writable, as a tensor from the loader is
    assert int(received.gt_label) == 5


def test_batches_from_workers_arrive_the_same():
    loader = DataLoader(Samples(), batch_size=8, num_workers=2, collate_fn=default_collate)
    for i, batch in enumerate(loader):
        assert batch['inputs'].shape == (8, 3, 4, 4)
        for j, received in enumerate(batch['data_samples']):
            assert_same(received, sample(8 * i + j))


def test_plain_pickle_and_copies_are_unchanged():
    original = sample(3)
    for copied in (pickle.loads(pickle.dumps(original)), copy.deepcopy(original)):
        assert_same(copied, original)
