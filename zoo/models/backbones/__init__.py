from .alexnet import AlexNet
from .base_backbone import BaseBackbone, count_parameters
from .googlenet import GoogLeNet, GoogLeNet_CIFAR
from .lenet import LeNet5
from .mobilenet_v1 import MobileNetV1
from .mobilenet_v2 import MobileNetV2
from .mobilenet_v3 import MobileNetV3
from .resnet import ResNet, ResNet_CIFAR, ResNetV1c, ResNetV1d
from .resnext import ResNeXt
from .seresnet import SEResNet, SEResNeXt
from .ssd_vgg import SSDVGG
from .swin_transformer import SwinTransformer
from .vgg import VGG
from .vision_transformer import VisionTransformer

__all__ = [
    'BaseBackbone', 'count_parameters', 'LeNet5', 'AlexNet', 'VGG', 'ResNet', 'ResNet_CIFAR',
    'ResNetV1c', 'ResNetV1d', 'ResNeXt', 'SEResNet', 'SEResNeXt', 'SSDVGG'
]
__all__ += ['GoogLeNet', 'GoogLeNet_CIFAR', 'MobileNetV1', 'MobileNetV2', 'MobileNetV3']
__all__ += ['VisionTransformer', 'SwinTransformer']
