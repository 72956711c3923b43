"""A torchvision-backed ``mmcv._ext``: mmdet's detectors on mmcv-lite, without compiling mmcv.

``zoo_mmcv_ext_hook`` (installed by ``zoo-mmcv-ext.pth`` and by ``import zoo``) serves
:mod:`zoo.mmcv_ext.ext` as ``mmcv._ext`` only where mmcv has no compiled ``_ext``.
"""
