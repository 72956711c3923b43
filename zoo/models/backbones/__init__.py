from .base_backbone import BaseBackbone, count_parameters

__all__ = ['BaseBackbone', 'count_parameters']
