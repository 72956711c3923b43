"""A markdown table of the zoo's classification models against the published zoos: params,
FLOPs, logits against torchvision's converted model, speed and (given checkpoints) accuracy.

    python tools/analysis_tools/zoo_report.py [--models resnet50_8xb32_in1k ...] \
        [--device cpu] [--batch-size 8] [--shape 224] [--no-speed] \
        [--checkpoint resnet50_8xb32_in1k=work_dirs/r50.pth --data-root data/imagenet/val]

The columns are described in :mod:`zoo.analysis.report`, which this command line runs.
"""
from zoo.analysis.report import main

if __name__ == '__main__':
    main()
