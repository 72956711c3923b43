# The RetinaNet shapes recipe trained through a random lens: each training image is distorted
# with probability 0.5 by zoo.RandomLensDistortion (barrel or pincushion, k1 in [-0.3, 0.3],
# small k2 and tangential terms; zoomed so that no black corners remain), its boxes moved
# through the same camera model. Validation stays undistorted, so the recipe measures whether
# a detector trained through varied lenses still finds the shapes in plain images.
# Train it with tools/train.py after making data/shapes (make_shapes_dataset.py).
_base_ = './retinanet_r18_fpn_gn-head_1xb8-6e_shapes.py'
custom_imports = dict(imports=['zoo'], allow_failed_imports=False)

img_scale = (160, 160)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='zoo.RandomLensDistortion',
        k1=(-0.3, 0.3),
        k2=(-0.05, 0.05),
        p1=(-0.005, 0.005),
        p2=(-0.005, 0.005),
        prob=0.5,
        crop_to_valid=True,
        min_bbox_size=2),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
