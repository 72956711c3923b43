from .alexnet import AlexNet
from .base_backbone import BaseBackbone, count_parameters
from .lenet import LeNet5
from .resnet import ResNet
from .resnext import ResNeXt
from .vgg import VGG

__all__ = ['BaseBackbone', 'count_parameters', 'LeNet5', 'AlexNet', 'VGG', 'ResNet', 'ResNeXt']
