"""Detection benches (they build mmdet's detectors): :mod:`.benchmark`."""
