# scikit-learn's 1,797 handwritten 8x8 digits in the ImageFolder layout, made by
# `python tools/dataset_converters/digits_to_imagefolder.py` (fixed held-out split in val/).
dataset_type = 'CustomDataset'
data_root = 'data/digits'

data_preprocessor = dict(mean=[127.5], std=[127.5])

# LeNet-5 takes 32x32 inputs, as MNIST's 28x28 padded to 32 in the paper. With 1,438
# training images, random shifts of up to 3 px keep the network from memorising them.
train_pipeline = [
    dict(type='LoadImageFromFile', color_type='grayscale'),
    dict(type='Resize', scale=(32, 32)),
    dict(type='RandomCrop', crop_size=32, padding=3),
    dict(type='PackClsInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile', color_type='grayscale'),
    dict(type='Resize', scale=(32, 32)),
    dict(type='PackClsInputs'),
]

train_dataloader = dict(
    batch_size=64,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    # stacked in the workers (one shared-memory tensor a batch, as mmpretrain's configs): with
    # MMEngine's default pseudo_collate each image crosses from a worker on its own
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type=dataset_type, data_root=data_root, data_prefix='train', pipeline=train_pipeline),
)

val_dataloader = dict(
    batch_size=128,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, data_prefix='val', pipeline=test_pipeline),
)
val_evaluator = [
    dict(type='Accuracy', topk=(1, )),
    dict(type='SingleLabelMetric', average='macro'),
]

test_dataloader = val_dataloader
test_evaluator = val_evaluator
