from .pretrained import LoadReport, PretrainedInit, load_pretrained

__all__ = ['load_pretrained', 'LoadReport', 'PretrainedInit']
