"""Measuring the zoo against its peers: speed benches (:mod:`.benchmark`), the published-zoo
report (:mod:`.report`) and torchvision's model of a config's architecture
(:mod:`.torchvision_counterpart`). ``tools/analysis_tools/`` are command lines over these.
Classification only: the detection benches live in :mod:`zoo.det.analysis`."""
