from .conv_norm_act import ConvNormAct

__all__ = ['ConvNormAct']
