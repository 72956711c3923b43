"""SwinTransformer: multi-stage outputs for detection necks, any input size, output norms,
stochastic depth and freezing."""
import pytest
import torch

from zoo.models.backbones import SwinTransformer
from zoo.models.necks.fpn import FPN

TINY = dict(embed_dims=16, depths=(2, 2, 2, 2), num_heads=(1, 2, 2, 4))


def tiny_swin(**kwargs) -> SwinTransformer:
    torch.manual_seed(0)
    cfg = dict(arch=TINY, window_size=4, out_indices=(0, 1, 2, 3))
    return SwinTransformer(**dict(cfg, **kwargs)).eval()


def randn(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize(
    'size, grids',
    [
        ((64, 64), [(16, 16), (8, 8), (4, 4), (2, 2)]),
        # neither windows nor merges divide it; partial patches are padded, as mmcv's PatchEmbed
        ((70, 50), [(18, 13), (9, 7), (5, 4), (3, 2)]),
    ])
def test_multi_stage_outputs(size, grids):
    model = tiny_swin()
    assert model.out_channels == (16, 32, 64, 128)
    with torch.no_grad():
        outs = model(randn(2, 3, *size))
    assert [tuple(out.shape) for out in outs
            ] == [(2, channels, *grid) for channels, grid in zip(model.out_channels, grids)]
    assert all(out.is_contiguous() for out in outs)


def test_outputs_feed_an_fpn():
    model = tiny_swin(out_indices=(1, 2, 3))
    neck = FPN(in_channels=list(model.out_channels), out_channels=8, num_outs=4).eval()
    with torch.no_grad():
        pyramid = neck(model(randn(1, 3, 64, 64)))
    assert [tuple(level.shape) for level in pyramid] == [(1, 8, 8, 8), (1, 8, 4, 4), (1, 8, 2, 2),
                                                         (1, 8, 1, 1)]


def test_each_output_has_its_own_norm():
    model = tiny_swin(out_indices=(1, 3))
    assert [name for name, _ in model.named_children()
            if name.startswith('norm')] == ['norm1', 'norm3']
    x = randn(1, 3, 64, 64)
    with torch.no_grad():
        _, last = model(x)
        features = model.patch_embed(x)
        for name in model.stage_names:
            features = getattr(model, name)(features)
    assert torch.allclose(last, model.norm3(features).permute(0, 3, 1, 2), atol=1e-6)


def test_shifted_blocks_alternate_and_merging_follows_each_stage_but_the_last():
    model = tiny_swin()
    shifts = [block.attn.shift_size for block in model.stages[0].blocks]
    assert shifts == [0, 2]
    assert model.stages[0].downsample.reduction.weight.shape == (32, 64)
    assert model.stages[3].downsample is None
    assert model.stage2 is model.stages[1]  # the backbone's stages are mmpretrain's


def test_stochastic_depth_rises_over_all_blocks():
    model = tiny_swin(drop_path_rate=0.7)
    rates = [block.attn.drop.drop_prob for stage in model.stages for block in stage.blocks]
    assert rates == pytest.approx([0.1 * i for i in range(8)])
    assert [block.ffn_drop_path.drop_prob for block in model.stages[1].blocks] == \
        pytest.approx([0.2, 0.3])


def test_frozen_stages_count_as_mmpretrain_with_their_output_norms():
    """mmpretrain's frozen_stages=k freezes the stem and stages.0 ... stages.<k> (each with the
    merging after it) and the parameters of those stages' output norms (the norms' mode is left
    as it is, as mmpretrain leaves it)."""
    model = tiny_swin(frozen_stages=1).train()
    frozen = {
        '.'.join(name.split('.')[:2]) if name.startswith('stages') else name.split('.')[0]
        for name, p in model.named_parameters() if not p.requires_grad
    }
    assert frozen == {'patch_embed', 'stages.0', 'stages.1', 'norm0', 'norm1'}
    assert model.norm1.training and model.norm2.training
    assert not model.stages[1].downsample.training and model.stages[2].training


def test_batch_norm_variant_keeps_statistics_with_norm_eval():
    bn = dict(type='BN')
    model = tiny_swin(
        norm_cfg=bn, stage_cfgs=dict(block_cfgs=dict(norm_cfg=bn)), norm_eval=True).train()
    running_means = [m.running_mean.clone() for m in (model.stages[0].blocks[0].norm1, model.norm0)]
    model(randn(2, 3, 32, 32))
    assert torch.equal(model.stages[0].blocks[0].norm1.running_mean, running_means[0])
    assert torch.equal(model.norm0.running_mean, running_means[1])


def test_mmpretrain_options():
    model = tiny_swin(
        out_after_downsample=True,
        use_abs_pos_embed=True,
        img_size=32,
        stage_cfgs=[dict(), dict(), dict(block_cfgs=dict(window_size=2)),
                    dict()])
    assert model.out_channels == (32, 64, 128, 128)  # after each merging (none after the last)
    assert model.absolute_pos_embed.shape == (1, 64, 16)
    assert model.stages[2].blocks[1].attn.window_size == 2
    with torch.no_grad():
        outs = model(randn(1, 3, 64, 64))  # the 8x8 position embedding resized to 16x16
    assert [tuple(out.shape[1:]) for out in outs] == [(32, 8, 8), (64, 4, 4), (128, 2, 2),
                                                      (128, 2, 2)]


def test_pad_small_map_shifts_windows_of_a_small_grid():
    """A grid of one window: mmpretrain shifts it only with pad_small_map (zoo too)."""
    x = randn(1, 4, 4, 64)
    plain, padded = tiny_swin(), tiny_swin(pad_small_map=True)
    padded.load_state_dict(plain.state_dict())
    block = plain.stages[2].blocks[1]  # a shifted block, on a 4x4 grid for 64 px inputs
    with torch.no_grad():
        unshifted = block.attn(x)
        shifted = padded.stages[2].blocks[1].attn(x)
    assert (unshifted - shifted).abs().max() > 1e-4


def test_bad_arch():
    with pytest.raises(ValueError, match=r"arch 'huge' is not one of \['t', 'tiny', 's'"):
        SwinTransformer(arch='huge')
    with pytest.raises(ValueError, match='differ in length'):
        SwinTransformer(arch=dict(embed_dims=16, depths=(2, 2), num_heads=(1, 2, 4)))
