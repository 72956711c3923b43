"""zoo's SwinTransformer is mmdet 3.3.0's in mmdet's scope and mmpretrain 1.2.0's elsewhere:
mmdet's arguments and defaults, state-dict keys, strict loads, outputs, train modes and frozen
parameters, and mmdet's loading of the original repository's checkpoints
(``convert_weights``)."""
import warnings

import mmdet.models.backbones as mmdet_backbones  # needs mmcv's ops (mmdet.models)
import mmpretrain.models.backbones as mmpretrain_backbones
import pytest
import torch
from mmengine.config import ConfigDict
from mmengine.registry import DefaultScope

from tests.parity.peers import assert_backbone_twins
from zoo.converters.official_swin import convert_official_swin
from zoo.models.backbones import SwinTransformer


def zoo_swin(scope: str, **kwargs) -> SwinTransformer:
    with DefaultScope.overwrite_default_scope(scope):
        return SwinTransformer(**kwargs)


MMDET_CASES = [
    dict(),  # mmdet's defaults: Swin-T, out_indices (0, 1, 2, 3), every map padded and shifted
    dict(frozen_stages=2, use_abs_pos_embed=True, pretrain_img_size=64, drop_path_rate=0.3),
    dict(
        embed_dims=64,
        depths=(2, 2, 2, 2),
        num_heads=(2, 4, 8, 16),
        window_size=4,
        out_indices=(1, 3),
        qk_scale=0.5,
        mlp_ratio=2,
        patch_norm=False,
        act_cfg=dict(type='ReLU')),
    dict(
        depths=(2, 2),
        num_heads=(3, 6),
        strides=(4, 2),
        out_indices=(0, 1),
        frozen_stages=0,
        pretrain_img_size=64,
        use_abs_pos_embed=True,
        qkv_bias=False),
    dict(frozen_stages=4, with_cp=True),
]


@pytest.mark.parametrize('kwargs', MMDET_CASES)
def test_mmdet_swin(kwargs):
    theirs = mmdet_backbones.SwinTransformer(**kwargs)
    ours = zoo_swin('mmdet', **kwargs)
    assert ours.peer == 'mmdet'
    # mmdet adds its absolute position embedding at the size it was made for only
    assert_backbone_twins(ours, theirs, (64, 64) if kwargs.get('use_abs_pos_embed') else (64, 80))


def test_mmdet_swin_trains_as_mmdets():
    """Stochastic depth and attention dropout draw the same random numbers: equal gradients."""
    kwargs = dict(
        drop_path_rate=0.3,
        attn_drop_rate=0.1,
        depths=(2, 2),
        num_heads=(3, 6),
        strides=(4, 2),
        out_indices=(0, 1))
    theirs, ours = mmdet_backbones.SwinTransformer(**kwargs), zoo_swin('mmdet', **kwargs)
    ours.load_state_dict(theirs.state_dict())
    x = torch.randn(2, 3, 64, 64)
    for model in (theirs, ours):
        model.train()  # (mmdet's train() returns None)
        torch.manual_seed(3)
        sum(out.square().mean() for out in model(x)).backward()
    for (name, a), b in zip(ours.named_parameters(), theirs.parameters()):
        torch.testing.assert_close(a.grad, b.grad, rtol=1e-5, atol=1e-6, msg=name)


@pytest.mark.parametrize('kwargs', [dict(frozen_stages=1), dict(frozen_stages=3)])
def test_mmpretrain_swin_freezes_as_mmpretrains(kwargs):
    kwargs = dict(arch='tiny', out_indices=(0, 1, 2, 3), use_abs_pos_embed=True, **kwargs)
    theirs = mmpretrain_backbones.SwinTransformer(pad_small_map=True, **kwargs)
    ours = zoo_swin('zoo', pad_small_map=True, **kwargs)
    assert ours.peer == 'mmpretrain'
    assert_backbone_twins(ours, theirs, (64, 64))


def test_defaults_follow_the_peer():
    mmdet_swin, mmpretrain_swin = zoo_swin('mmdet'), zoo_swin('zoo')
    assert mmdet_swin.out_indices == (0, 1, 2, 3) and mmpretrain_swin.out_indices == (3, )
    explicit = zoo_swin('mmdet', out_indices=(3, ), peer='mmpretrain', frozen_stages=0)
    assert explicit.out_indices == (3, ) and explicit.frozen_stages_inclusive


def test_arch_and_mmdets_arch_arguments_are_not_both_given():
    with pytest.raises(ValueError, match=r"either arch='small' or mmdet's \['depths'\]"):
        SwinTransformer(arch='small', depths=(2, 2, 6, 2))
    with pytest.raises(ValueError, match='one stride per stage'):
        SwinTransformer(strides=(4, 2))


def test_deprecated_pretrained_becomes_init_cfg(tmp_path):
    with pytest.warns(UserWarning, match='pretrained is deprecated'):
        model = zoo_swin('mmdet', pretrained=str(tmp_path / 'swin.pth'))
    assert model.init_cfg == dict(type='Pretrained', checkpoint=str(tmp_path / 'swin.pth'))
    with pytest.raises(ValueError, match='init_cfg and pretrained cannot be specified'):
        zoo_swin('mmdet', pretrained='a.pth', init_cfg=dict(type='Pretrained', checkpoint='b'))


def official_state(model: torch.nn.Module) -> dict:
    """A random state dict in the original repository's layout for ``model``'s architecture:
    mmdet's keys renamed back (the inverse of its ``swin_converter``), with a classifier and a
    final norm as the original checkpoints have."""
    state = {}
    generator = torch.Generator().manual_seed(0)
    for key, value in model.state_dict().items():
        if key.startswith('norm'):
            continue
        key = key.replace('stages', 'layers', 1).replace('attn.w_msa.', 'attn.') \
            .replace('ffn.layers.0.0.', 'mlp.fc1.').replace('ffn.layers.1.', 'mlp.fc2.') \
            .replace('patch_embed.projection', 'patch_embed.proj')
        state[key] = value.clone() if 'index' in key else \
            torch.randn(value.shape, generator=generator)
    state['norm.weight'] = torch.randn(768, generator=generator)
    state['norm.bias'] = torch.randn(768, generator=generator)
    state['head.weight'] = torch.randn(1000, 768, generator=generator)
    return {'model': state}


def test_the_original_checkpoints_convert_as_mmdets_converter():
    state = official_state(mmdet_backbones.SwinTransformer())['model']
    theirs = mmdet_backbones.swin.swin_converter(state)
    ours = convert_official_swin(state)
    assert list(ours) == list(theirs)
    for key in theirs:
        assert torch.equal(ours[key], theirs[key]), key


def test_convert_weights_loads_the_original_checkpoint_as_mmdet(tmp_path):
    """mmdet's Swin configs: ``convert_weights=True`` and the original repository's
    checkpoint in ``init_cfg``; after ``init_weights`` both models hold the same weights."""
    path = tmp_path / 'swin_tiny_patch4_window7_224.pth'
    torch.save(official_state(mmdet_backbones.SwinTransformer()), path)
    init_cfg = ConfigDict(type='Pretrained', checkpoint=str(path))  # as a config gives it
    theirs = mmdet_backbones.SwinTransformer(convert_weights=True, init_cfg=init_cfg)
    ours = zoo_swin('mmdet', convert_weights=True, init_cfg=init_cfg)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        theirs.init_weights()
        ours.init_weights()
    for (key, a), b in zip(ours.state_dict().items(), theirs.state_dict().values()):
        assert torch.equal(a, b), key
    # the converted weights were loaded, not left at their initialisation
    loaded = official_state(mmdet_backbones.SwinTransformer())['model']
    assert torch.equal(ours.stages[2].blocks[1].ffn.layers[1].weight,
                       loaded['layers.2.blocks.1.mlp.fc2.weight'])


def test_an_argument_neither_peer_has_is_refused():
    with pytest.raises(
            TypeError,
            match=r"SwinTransformer \(zoo\) does not support the "
            r"argument\(s\) \['embed_dim'\]"):
        zoo_swin('mmdet', embed_dim=96)
