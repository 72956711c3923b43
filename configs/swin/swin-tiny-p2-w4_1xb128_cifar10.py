# Swin-T on CIFAR-10: 2x2 patches and 4x4 windows, so the four stages see 16x16, 8x8, 4x4 and
# 2x2 grids of 32x32 images (a 4x4 patch with 7x7 windows would leave one window per image
# from the second stage on). 128 images a step, AdamW lr 1e-3, wd 0.05, 10 epochs of warm-up,
# cosine decay, 200 epochs, gradients clipped at norm 5.
_base_ = [
    '../_base_/models/swin-tiny.py',
    '../_base_/datasets/cifar10_bs16.py',
    '../_base_/schedules/imagenet_bs1024_adamw_swin.py',
    '../_base_/default_runtime.py',
]
model = dict(
    backbone=dict(patch_size=2, window_size=4, drop_path_rate=0.1),
    head=dict(num_classes=10, topk=(1, )))
train_dataloader = dict(batch_size=128)
val_dataloader = dict(batch_size=128)
test_dataloader = val_dataloader

param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-3,
        by_epoch=True,
        begin=0,
        end=10,
        convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=190, eta_min=1e-5, by_epoch=True, begin=10, end=200),
]
train_cfg = dict(by_epoch=True, max_epochs=200, val_interval=1)
auto_scale_lr = dict(base_batch_size=128)
