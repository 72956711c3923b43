"""Measuring the zoo against its peers: speed benches (:mod:`.benchmark`), the peer report
(:mod:`.report`), the peers' models of a config's architecture (:mod:`.peers`: mmpretrain's and
timm's; :mod:`.torchvision_counterpart`: torchvision's). ``tools/analysis_tools/`` are command
lines over these. Classification only: the detection benches live in :mod:`zoo.det.analysis`."""
