# ImageNet-1k for the transformer recipes (mmpretrain's imagenet_bs64_swin_224): 64 images a
# GPU, bicubic resizing. mmpretrain's version also applies RandAugment and RandomErasing, and
# its recipes add Mixup/CutMix; the zoo has none of these yet, so from-scratch accuracy will
# fall short of the published one (fine-tuning and evaluation are unaffected).
_base_ = ['./imagenet_bs32.py']

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=224, backend='pillow', interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackClsInputs'),
]

test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=256, edge='short', backend='pillow', interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackClsInputs'),
]

train_dataloader = dict(batch_size=64, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(batch_size=64, dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
