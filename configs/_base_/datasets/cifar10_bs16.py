# CIFAR-10 from its python batches in data/cifar10/cifar-10-batches-py (no download: fetch
# https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz and extract it under data/cifar10).
dataset_type = 'CIFAR10'
data_root = 'data/cifar10'

data_preprocessor = dict(
    # RGB CIFAR-10 statistics; the data set yields BGR images (channel_order='bgr'), as
    # LoadImageFromFile gives photos, so that the inferencer and visualisers see one order
    mean=[125.307, 122.961, 113.8575],
    std=[51.5865, 50.847, 51.255],
    to_rgb=True,
)

train_pipeline = [
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackClsInputs'),
]
test_pipeline = [dict(type='PackClsInputs')]

train_dataloader = dict(
    batch_size=16,
    num_workers=2,
    sampler=dict(type='DefaultSampler', shuffle=True),
    # stacked in the workers (one shared-memory tensor a batch, as mmpretrain's configs): with
    # MMEngine's default pseudo_collate each image crosses from a worker on its own
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        channel_order='bgr',
        pipeline=train_pipeline),
)

val_dataloader = dict(
    batch_size=16,
    num_workers=2,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='test',
        channel_order='bgr',
        pipeline=test_pipeline),
)
val_evaluator = dict(type='Accuracy', topk=(1, ))

test_dataloader = val_dataloader
test_evaluator = val_evaluator
