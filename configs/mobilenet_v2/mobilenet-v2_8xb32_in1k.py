# mmpretrain's MobileNetV2 1.0 ImageNet recipe (mobilenet-v2_8xb32_in1k): 8 GPUs x 32 images,
# SGD 0.045, wd 4e-5, the learning rate times 0.98 every epoch, 300 epochs.
_base_ = [
    '../_base_/models/mobilenet-v2.py',
    '../_base_/datasets/imagenet_bs32.py',
    '../_base_/schedules/imagenet_bs256_epochstep.py',
    '../_base_/default_runtime.py',
]
