# mmpretrain's Swin-Tiny ImageNet recipe (swin-tiny_16xb64_in1k): 16 GPUs x 64 = 1024 images a
# step, AdamW lr 1e-3, weight decay 0.05 (none on norms, biases and the relative position
# tables), gradients clipped at norm 5, 20 epochs of linear warm-up, cosine decay to 1e-5,
# 300 epochs; label smoothing 0.1 (see the data set base for the augmentations left out).
_base_ = [
    '../_base_/models/swin-tiny.py',
    '../_base_/datasets/imagenet_bs64_swin_224.py',
    '../_base_/schedules/imagenet_bs1024_adamw_swin.py',
    '../_base_/default_runtime.py',
]
