"""ViT's classification head initialises its representation layer (``pre_logits``) itself,
unless a checkpoint is loaded: then the loaded weights stay, in either form of ``init_cfg``."""
import math

import pytest
import torch

from zoo.models.heads import VisionTransformerClsHead


def head(**kwargs) -> VisionTransformerClsHead:
    return VisionTransformerClsHead(num_classes=10, in_channels=32, hidden_dim=64, **kwargs)


@pytest.fixture
def checkpoint(tmp_path):
    """A trained-looking head: every weight 0.5, every bias 0.25 (no initialiser gives that)."""
    trained = head()
    for name, param in trained.named_parameters():
        torch.nn.init.constant_(param, 0.5 if name.endswith('weight') else 0.25)
    path = tmp_path / 'vit_head.pth'
    torch.save(dict(state_dict=trained.state_dict()), path)
    return path


@pytest.mark.parametrize('form', ['dict', 'list'])
def test_loaded_weights_are_kept(checkpoint, form):
    pretrained = dict(type='Pretrained', checkpoint=str(checkpoint))
    init_cfg = pretrained if form == 'dict' else [
        dict(type='Constant', layer='Linear', val=0), pretrained
    ]
    model = head(init_cfg=init_cfg)
    model.init_weights()
    for name, param in model.named_parameters():
        expected = 0.5 if name.endswith('weight') else 0.25
        assert torch.equal(param, torch.full_like(param, expected)), name


def test_without_a_checkpoint_pre_logits_gets_the_truncated_normal():
    torch.manual_seed(0)
    model = head()
    model.init_weights()
    weight = model.layers.pre_logits.weight
    # std sqrt(1 / fan_in); torch truncates at +-2 (absolute), far out at this std
    assert weight.std().item() == pytest.approx(math.sqrt(1 / 32), rel=0.1)
    assert weight.abs().max().item() <= 2.0
    assert not model.layers.pre_logits.bias.any()
    assert not model.layers.head.weight.any()  # the classifier starts at zero
