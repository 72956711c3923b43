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


@pytest.mark.parametrize('size, grids', [
    ((64, 64), [(16, 16), (8, 8), (4, 4), (2, 2)]),
    ((70, 50), [(17, 12), (9, 6), (5, 3), (3, 2)]),  # neither windows nor merges divide it
])
def test_multi_stage_outputs(size, grids):
    model = tiny_swin()
    assert model.out_channels == (16, 32, 64, 128)
    with torch.no_grad():
        outs = model(randn(2, 3, *size))
    assert [tuple(out.shape) for out in outs] == [
        (2, channels, *grid) for channels, grid in zip(model.out_channels, grids)]
    assert all(out.is_contiguous() for out in outs)


def test_outputs_feed_an_fpn():
    model = tiny_swin(out_indices=(1, 2, 3))
    neck = FPN(in_channels=list(model.out_channels), out_channels=8, num_outs=4).eval()
    with torch.no_grad():
        pyramid = neck(model(randn(1, 3, 64, 64)))
    assert [tuple(level.shape) for level in pyramid] == [(1, 8, 8, 8), (1, 8, 4, 4),
                                                         (1, 8, 2, 2), (1, 8, 1, 1)]


def test_each_output_has_its_own_norm():
    model = tiny_swin(out_indices=(1, 3))
    assert [name for name, _ in model.named_children() if name.startswith('norm')] == [
        'norm1', 'norm3']
    x = randn(1, 3, 64, 64)
    with torch.no_grad():
        _, last = model(x)
        features = model.patch_embed(x)
        for name in model.stage_names:
            features = getattr(model, name)(features)
    assert torch.allclose(last, model.norm3(features).permute(0, 3, 1, 2), atol=1e-6)


def test_shifted_blocks_alternate():
    model = tiny_swin()
    shifts = [block.attn.shift_size for block in model.stage1.blocks]
    assert shifts == [0, 2]
    assert model.stage1.downsample is None
    assert model.stage2.downsample.reduction.weight.shape == (32, 64)


def test_stochastic_depth_rises_over_all_blocks():
    model = tiny_swin(drop_path_rate=0.7)
    rates = [block.drop_path.drop_prob for name in model.stage_names
             for block in getattr(model, name).blocks]
    assert rates == pytest.approx([0.1 * i for i in range(8)])


def test_frozen_stages_freeze_their_output_norms():
    model = tiny_swin(frozen_stages=2).train()
    frozen = {name.split('.')[0] for name, p in model.named_parameters() if not p.requires_grad}
    assert frozen == {'patch_embed', 'stage1', 'stage2', 'norm0', 'norm1'}
    assert not model.norm1.training and model.norm2.training


def test_batch_norm_variant_keeps_statistics_with_norm_eval():
    model = tiny_swin(norm_cfg=dict(type='BN'), norm_eval=True).train()
    running_mean = model.stage1.blocks[0].norm1.running_mean.clone()
    model(randn(2, 3, 32, 32))
    assert torch.equal(model.stage1.blocks[0].norm1.running_mean, running_mean)


def test_bad_arch():
    with pytest.raises(ValueError, match=r"arch 'large' is not one of \['t', 'tiny', 's'"):
        SwinTransformer(arch='large')
    with pytest.raises(ValueError, match='differ in length'):
        SwinTransformer(arch=dict(embed_dims=16, depths=(2, 2), num_heads=(1, 2, 4)))
