# ViT-S on CIFAR-10: 4x4 patches give 64 tokens (and the class token) per 32x32 image, and the
# position embedding is made for that grid. 128 images a step, AdamW lr 1e-3, wd 0.05 (none on
# norms, biases, the class token and position embedding), 10 epochs of warm-up, cosine decay,
# 200 epochs, gradients clipped at norm 1, stochastic depth 0.1.
_base_ = [
    '../_base_/models/vit-small-p16.py',
    '../_base_/datasets/cifar10_bs16.py',
    '../_base_/default_runtime.py',
]
model = dict(
    backbone=dict(img_size=32, patch_size=4, drop_rate=0.0, drop_path_rate=0.1),
    head=dict(num_classes=10, topk=(1, )))
train_dataloader = dict(batch_size=128)
val_dataloader = dict(batch_size=128)
test_dataloader = val_dataloader

optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05, eps=1e-8, betas=(0.9, 0.999)),
    paramwise_cfg=dict(
        norm_decay_mult=0.0,
        bias_decay_mult=0.0,
        custom_keys={
            '.cls_token': dict(decay_mult=0.0),
            '.pos_embed': dict(decay_mult=0.0),
        }),
    clip_grad=dict(max_norm=1.0),
)
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
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=128)
