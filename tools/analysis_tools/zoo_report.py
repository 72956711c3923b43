"""A markdown table of the zoo's classification models against the published zoos.

    python tools/analysis_tools/zoo_report.py [--models resnet50_8xb32_in1k ...] \
        [--device cpu] [--batch-size 8] [--shape 224] [--no-speed] \
        [--checkpoint resnet50_8xb32_in1k=work_dirs/r50.pth --data-root data/imagenet/val]

One row per model of the ``configs/*/metafile.yml`` files (``--models``: a subset, by the
metafiles' ``Name``), with:

- params (M): the zoo model's count, mmpretrain's (or the paper's, marked ``p``) and
  torchvision's published ones;
- GFLOPs: multiply-accumulates of the zoo model counted with MMEngine's complexity analysis
  (mmpretrain's counter) at the row's size, beside the published ones (224 px);
- max abs diff: the largest logit difference between torchvision's model with random weights
  and the zoo model holding the same weights converted by
  ``tools/model_converters/torchvision_to_zoo.py``, on one random input (eval mode);
- images/s of a training step and of inference for the zoo model and torchvision's, timed in
  the same alternating rounds by :mod:`zoo.analysis.benchmark`'s ``Bench``;
- with ``--checkpoint NAME=PATH`` and ``--data-root`` (an ImageFolder val set), the measured
  top-1/top-5 of that checkpoint with the config's test pipeline and ``Accuracy`` metric, beside
  the published ones.

A row uses ``--shape`` px, or the fixed input size of its torchvision counterpart (ViT: 224);
the ``px`` column says which. torchvision's GoogLeNet computes its auxiliary classifiers in a
training step, the zoo's ``mode='tensor'`` does not. The logic is :mod:`zoo.analysis.report`'s.
"""
from zoo.analysis.report import main

if __name__ == '__main__':
    main()
