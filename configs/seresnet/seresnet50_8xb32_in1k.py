# mmpretrain's SE-ResNet-50 ImageNet recipe (seresnet50_8xb32_in1k): 8 GPUs x 32 images,
# SGD 0.1, steps at 40/80/120, 140 epochs.
_base_ = [
    '../_base_/models/seresnet50.py',
    '../_base_/datasets/imagenet_bs32.py',
    '../_base_/schedules/imagenet_bs256_140e.py',
    '../_base_/default_runtime.py',
]
