# Transfer learning: an ImageNet ResNet-50 fine-tuned on a small folder of photos,
# data/photos/<class>/*.jpg (a few classes), split 80/20 by the data set itself.
# The backbone starts from torchvision's or mmpretrain's ImageNet weights: zoo's ResNet has
# torchvision's parameter names, so https://download.pytorch.org/models/resnet50-11ad3fa6.pth,
# saved as checkpoints/resnet50_in1k.pth, loads as is (its classifier `fc.*` is left out).
_base_ = [
    '../_base_/models/resnet50.py',
    '../_base_/datasets/imagenet_bs32.py',
    '../_base_/default_runtime.py',
]

num_classes = 5
model = dict(
    backbone=dict(
        frozen_stages=1,  # the stem and first stage keep their ImageNet filters
        init_cfg=dict(type='Pretrained', checkpoint='checkpoints/resnet50_in1k.pth')),
    head=dict(num_classes=num_classes, topk=(1, )))

photos = dict(type='CustomDataset', data_root='data/photos', val_ratio=0.2, split_seed=0)
train_dataloader = dict(batch_size=32, num_workers=2, persistent_workers=False,
                        dataset=dict(photos, split='train', _delete_=True,
                                     pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(batch_size=32, num_workers=2, persistent_workers=False,
                      dataset=dict(photos, split='val', _delete_=True,
                                   pipeline={{_base_.test_pipeline}}))
test_dataloader = val_dataloader
val_evaluator = [dict(type='Accuracy', topk=(1, )), dict(type='SingleLabelMetric')]
test_evaluator = val_evaluator

# Fine-tuning: a small learning rate, the new head 10x faster than the pretrained backbone.
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=1e-4),
    paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.1)}))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=1, T_max=19, eta_min=1e-5),
]
train_cfg = dict(by_epoch=True, max_epochs=20, val_interval=1)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=32)
