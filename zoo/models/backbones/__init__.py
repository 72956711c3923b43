from .alexnet import AlexNet
from .base_backbone import BaseBackbone, count_parameters
from .lenet import LeNet5
from .resnet import ResNet, ResNet_CIFAR
from .resnext import ResNeXt
from .vgg import VGG

__all__ = ['BaseBackbone', 'count_parameters', 'LeNet5', 'AlexNet', 'VGG', 'ResNet', 'ResNet_CIFAR', 'ResNeXt']
