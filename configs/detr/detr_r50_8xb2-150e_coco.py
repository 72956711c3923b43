# mmdet's DETR R-50 150-epoch COCO recipe, with zoo's ResNet-50 (C5 only, stem and first
# stage frozen, BN statistics frozen, as mmdet's config sets them).
_base_ = 'mmdet::detr/detr_r50_8xb2-150e_coco.py'
custom_imports = dict(imports=['zoo'], allow_failed_imports=False)

model = dict(backbone=dict(type='zoo.ResNet'))
