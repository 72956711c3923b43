"""ClsDataPreprocessor's fast path (a list of same-sized images is stacked, then moved and
normalised at once; data samples are not rebuilt on the CPU) gives MMEngine's
ImgDataPreprocessor's values, and its image-by-image path where sizes differ."""
import torch
from mmengine.model import ImgDataPreprocessor

from zoo.models.data_preprocessors.cls_data_preprocessor import ClsDataPreprocessor
from zoo.structures import ClsDataSample

ARGS = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375])


def batch(shapes):
    generator = torch.Generator().manual_seed(0)
    inputs = [
        torch.randint(0, 256, shape, dtype=torch.uint8, generator=generator) for shape in shapes
    ]
    samples = [ClsDataSample().set_gt_label(i) for i in range(len(shapes))]
    return dict(inputs=inputs, data_samples=samples)


def test_same_values_as_mmengine_stacked_or_padded():
    for shapes, divisor in (([(3, 8, 10)] * 4, 1), ([(3, 8, 10), (3, 6, 9)], 4)):
        zoo = ClsDataPreprocessor(**ARGS, to_rgb=True, pad_size_divisor=divisor)
        peer = ImgDataPreprocessor(**ARGS, bgr_to_rgb=True, pad_size_divisor=divisor)
        data = batch(shapes)
        ours, theirs = zoo(data, training=True), peer(batch(shapes), training=True)
        assert ours['inputs'].dtype == torch.float32
        torch.testing.assert_close(ours['inputs'], theirs['inputs'], rtol=0, atol=0)
        # on the CPU the loader's samples go through as they are, labels intact
        assert all(a is b for a, b in zip(ours['data_samples'], data['data_samples']))
        assert [int(s.gt_label) for s in ours['data_samples']] == list(range(len(shapes)))


def test_grayscale_batch():
    zoo = ClsDataPreprocessor(mean=[127.5], std=[127.5])
    peer = ImgDataPreprocessor(mean=[127.5], std=[127.5])
    ours, theirs = zoo(batch([(1, 32, 32)] * 3)), peer(batch([(1, 32, 32)] * 3))
    assert ours['inputs'].shape == (3, 1, 32, 32)
    torch.testing.assert_close(ours['inputs'], theirs['inputs'], rtol=0, atol=0)
