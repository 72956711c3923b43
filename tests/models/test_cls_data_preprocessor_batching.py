"""ClsDataPreprocessor's fast path (a list of same-sized images is stacked, then moved and
normalised at once; data samples are not rebuilt on the CPU) gives MMEngine's
ImgDataPreprocessor's values, and its image-by-image path where sizes differ; the labels follow
the batch to its device in one transfer."""
import pytest
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


def test_a_stacked_batch_gives_mmengine_values_and_is_left_as_it_was():
    """default_collate's (N, C, H, W) uint8 batch, padded or not: same values, and the loader's
    tensor is not written to (the normalisation works in place on its own copy)."""
    for size, divisor in (((8, 8), 1), ((8, 10), 4)):
        images = torch.randint(
            0, 256, (4, 3, *size), dtype=torch.uint8, generator=torch.Generator().manual_seed(1))
        kept = images.clone()
        zoo = ClsDataPreprocessor(**ARGS, to_rgb=True, pad_size_divisor=divisor)
        peer = ImgDataPreprocessor(**ARGS, bgr_to_rgb=True, pad_size_divisor=divisor)
        ours = zoo(dict(inputs=images, data_samples=None))
        theirs = peer(dict(inputs=images.clone(), data_samples=None))
        torch.testing.assert_close(ours['inputs'], theirs['inputs'], rtol=0, atol=0)
        assert images.equal(kept)
    float_images = torch.rand(2, 3, 8, 8)
    kept = float_images.clone()
    ClsDataPreprocessor(**ARGS)(dict(inputs=float_images))
    assert float_images.equal(kept)


def test_labels_move_to_the_device_in_one_batch():
    """On another device (meta here) each sample's labels are its part of the one moved batch;
    multi-label samples keep their lengths; gt_score follows too."""
    preprocessor = ClsDataPreprocessor(**ARGS).to('meta')
    data = batch([(3, 8, 8)] * 3)
    for sample, labels in zip(data['data_samples'], ([1], [0, 2, 3], [4, 5])):
        sample.set_gt_label(labels).set_field(torch.rand(6), 'gt_score')
    out = preprocessor(data)
    assert out['inputs'].device.type == 'meta'
    labels = [sample.gt_label for sample in out['data_samples']]
    assert [label.device.type for label in labels] == ['meta'] * 3
    assert [len(label) for label in labels] == [1, 3, 2]
    bases = {id(label._base) for label in labels if label._base is not None}
    assert len(bases) == 1 and all(label._base is not None for label in labels)  # views of one
    assert all(s.gt_score.device.type == 'meta' for s in out['data_samples'])


def test_to_rgb_leaves_grayscale_alone_and_mean_must_fit_the_channels():
    gray = ClsDataPreprocessor(mean=[127.5], std=[127.5], to_rgb=True)
    images = torch.randint(0, 256, (2, 1, 4, 4), dtype=torch.uint8)
    torch.testing.assert_close(
        gray(dict(inputs=images))['inputs'], (images.float() - 127.5) / 127.5)
    with pytest.raises(ValueError, match='mean and std have 3 values, but the images have 1 '):
        ClsDataPreprocessor(**ARGS)(dict(inputs=images))


def test_onehot_scores_of_single_and_multi_label_batches_and_a_label_out_of_range():
    preprocessor = ClsDataPreprocessor(to_onehot=True, num_classes=4)
    data = batch([(1, 2, 2)] * 3)
    for sample, labels in zip(data['data_samples'], ([1, 3, 1], [], [0])):
        sample.set_gt_label(labels)
    scores = [s.gt_score.tolist() for s in preprocessor(data)['data_samples']]
    assert scores == [[0, 1, 0, 1], [0, 0, 0, 0], [1, 0, 0, 0]]
    single = preprocessor(batch([(1, 2, 2)] * 3))['data_samples']  # labels 0, 1, 2
    assert [s.gt_score.tolist() for s in single] == [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]]
    data = batch([(1, 2, 2)] * 2)
    data['data_samples'][1].set_gt_label([2, 4])
    with pytest.raises(ValueError, match=r'label \[2, 4\] is outside 0..3 \(num_classes=4\)'):
        preprocessor(data)
