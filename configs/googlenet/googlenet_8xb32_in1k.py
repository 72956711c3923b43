# GoogLeNet with its auxiliary classifiers (losses weighted 0.3) on ImageNet, on mmpretrain's
# ResNet recipe (8 GPUs x 32 images, SGD 0.1, steps at 30/60/90, 100 epochs): the paper's
# asynchronous SGD schedule does not carry over to synchronous training.
_base_ = [
    '../_base_/models/googlenet.py',
    '../_base_/datasets/imagenet_bs32.py',
    '../_base_/schedules/imagenet_bs256.py',
    '../_base_/default_runtime.py',
]
# torchvision's published weights take images scaled to [-1, 1] (its `transform_input`):
# normalising so here makes a converted torchvision checkpoint evaluate as published.
data_preprocessor = dict(mean=[127.5, 127.5, 127.5], std=[127.5, 127.5, 127.5], to_rgb=True)
