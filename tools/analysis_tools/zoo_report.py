"""A markdown table of the zoo's classification models against the installed peers (mmpretrain,
torchvision, timm): params, FLOPs, logits after cross-loading each peer's weights, speed and
(given checkpoints) accuracy, each taken from the peer when the table is made.

    python tools/analysis_tools/zoo_report.py [--models resnet50_8xb32_in1k ...] \
        [--device cpu] [--batch-size 8] [--shape 224] [--no-speed] \
        [--checkpoint resnet50_8xb32_in1k=work_dirs/r50.pth --data-root data/imagenet/val]

The columns are described in :mod:`zoo.analysis.report`, which this command line runs.
"""
from zoo.analysis.report import main

if __name__ == '__main__':
    main()
