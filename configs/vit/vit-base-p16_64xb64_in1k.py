# mmpretrain's ViT-B/16 ImageNet recipe from scratch (vit-base-p16_64xb64_in1k): 64 GPUs x 64
# = 4096 images a step, AdamW lr 3e-3, weight decay 0.3 (none on the class token and position
# embedding), gradients clipped at norm 1, 30 epochs of linear warm-up, cosine decay, 300
# epochs. mmpretrain's recipe also adds a 3072-wide representation layer to the head
# (head.hidden_dim) and Mixup; this config keeps torchvision's single linear classifier, so
# torchvision's vit_b_16 weights convert into it (see the data set base for the augmentations).
_base_ = [
    '../_base_/models/vit-base-p16.py',
    '../_base_/datasets/imagenet_bs64_swin_224.py',
    '../_base_/schedules/imagenet_bs4096_adamw.py',
    '../_base_/default_runtime.py',
]
