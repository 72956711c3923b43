# Transfer learning in two phases: an ImageNet ResNet-50 fine-tuned on a small folder of photos,
# data/photos/<class>/*.jpg (5 classes), split 80/20 by the data set itself.
#   phase 1, epochs 1-3: the pretrained backbone is frozen (FreezeHook) and only the new 5-class
#     head trains, its learning rate warmed up linearly over the first epoch;
#   phase 2, epochs 4-20: everything trains, the backbone at 0.1x the head's learning rate,
#     both decaying along a cosine.
# Weights: torchvision's https://download.pytorch.org/models/resnet50-11ad3fa6.pth saved as
# checkpoints/resnet50_in1k.pth. zoo's ResNet has torchvision's parameter names, so
# `revise_keys` only moves its classifier `fc.*` to `head.fc.*` and the rest under `backbone.`;
# for a zoo or mmpretrain classifier checkpoint, drop `revise_keys`.
_base_ = [
    '../_base_/models/resnet50.py',
    '../_base_/datasets/imagenet_bs32.py',
    '../_base_/default_runtime.py',
]

num_classes = 5
model = dict(
    # Load the whole ImageNet classifier, then replace its 1000-class head by the new one:
    # anything else that does not match is an error, and the load prints a table of the keys.
    # mode='drop_head' tolerates missing/unexpected keys; 'match_shapes' loads whatever fits.
    init_cfg=dict(
        type='Pretrained',
        checkpoint='checkpoints/resnet50_in1k.pth',
        mode='replace_head',
        revise_keys=[(r'^fc\.', 'head.fc.'), (r'^(?!head\.)', 'backbone.')]),
    head=dict(num_classes=num_classes, topk=(1, )))

photos = dict(type='CustomDataset', data_root='data/photos', val_ratio=0.2, split_seed=0)
train_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=False,
    dataset=dict(photos, split='train', _delete_=True, pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=False,
    dataset=dict(photos, split='val', _delete_=True, pipeline={{_base_.test_pipeline}}))
test_dataloader = val_dataloader
val_evaluator = [dict(type='Accuracy', topk=(1, )), dict(type='SingleLabelMetric')]
test_evaluator = val_evaluator

frozen_epochs = 3
custom_hooks = [dict(type='FreezeHook', modules='backbone', unfreeze_epoch=frozen_epochs)]

# A small learning rate for fine-tuning; the pretrained backbone learns 10x slower than the head.
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=1e-4),
    paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.1)}))
max_epochs = 20
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.1,
        by_epoch=True,
        begin=0,
        end=1,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        by_epoch=True,
        begin=1,
        end=max_epochs,
        T_max=max_epochs - 1,
        eta_min=1e-5),
]
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=1)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=32)
