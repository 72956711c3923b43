"""Stages over one flat ``features`` Sequential: the layout of mmpretrain's and torchvision's
VGG, AlexNet and LeNet-5, whose published checkpoints number every layer of the network in one
list (``features.<i>``) and keep their classifier in ``classifier``."""
from typing import Dict, List, Sequence, Tuple

from torch import nn


def flat_stages(stage_layers: Sequence[Sequence[nn.Module]],
                names: Sequence[str]) -> Tuple[nn.Sequential, Dict[str, nn.Sequential]]:
    """The ``features`` Sequential holding every layer in order, and for each stage a view
    (a Sequential of the same layer objects) to hand to ``BaseBackbone._set_stages`` with
    ``register=False``."""
    features = nn.Sequential(*[layer for layers in stage_layers for layer in layers])
    views = {name: nn.Sequential(*layers) for name, layers in zip(names, stage_layers)}
    return features, views


def classifier_view(classifier: nn.Module) -> nn.Sequential:
    """A stage that flattens the last feature map and runs ``classifier`` on it: the peers'
    backbones with ``num_classes > 0`` end in one (``x.view(N, -1)``, then the classifier)."""
    return nn.Sequential(nn.Flatten(1), classifier)


def with_classifier_index(out_indices: Sequence[int], num_stages: int) -> List[int]:
    """mmpretrain's VGG returns the classifier's output after the chosen feature maps whenever
    it has a classifier: the classifier is the stage after the ``num_stages`` feature stages."""
    indices = [i % (num_stages + 1) if i < 0 else i for i in out_indices]
    return sorted(set(indices) | {num_stages})


__all__ = ['flat_stages', 'classifier_view', 'with_classifier_index']
