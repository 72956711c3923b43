def check_width_and_stem(name: str, widen_factor: float, stem_stride: int) -> None:
    """The options every MobileNet takes: a positive width multiplier (alpha) and a stem stride
    of 2 (ImageNet) or 1 (CIFAR-sized inputs)."""
    if widen_factor <= 0:
        raise ValueError(f'{name}: widen_factor must be positive, got {widen_factor}')
    if stem_stride not in (1, 2):
        raise ValueError(f'{name}: stem_stride must be 1 or 2, got {stem_stride}')
