"""The transformer blocks of zoo/models/layers compute what torchvision's and PyTorch's own
blocks compute, given the same weights; and MMEngine's FLOP count sees the fused attention."""
import logging

import pytest
import torch
import torch.nn.functional as F
from mmengine.analysis import FlopAnalyzer
from mmengine.logging import MMLogger
from torch import nn
from torchvision.models.swin_transformer import PatchMerging as TVPatchMerging
from torchvision.models.swin_transformer import ShiftedWindowAttention
from torchvision.ops import MLP

from zoo.models.layers import (FFN, ChannelLastBatchNorm, DropPath, MultiheadAttention, PatchEmbed,
                               PatchMerging, ShiftWindowMSA, build_channel_last_norm,
                               drop_path_rates, resize_pos_embed, torchvision_merge_order)


def randn(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


def test_multihead_attention_equals_pytorch():
    torch.manual_seed(0)
    reference = nn.MultiheadAttention(32, 4, batch_first=True).eval()
    nn.init.normal_(reference.in_proj_bias)  # non-zero biases, so a mix-up would show
    attn = MultiheadAttention(32, 4).eval()
    attn.load_state_dict({
        'qkv.weight': reference.in_proj_weight,
        'qkv.bias': reference.in_proj_bias,
        'proj.weight': reference.out_proj.weight,
        'proj.bias': reference.out_proj.bias
    })
    x, bias = randn(2, 10, 32), randn(4, 10, 10, seed=1)
    with torch.no_grad():
        expected, _ = reference(x, x, x, need_weights=False)
        assert (attn(x) - expected).abs().max() <= 1e-5
        # A float mask is added to the logits, per head (PyTorch wants it per batch x head).
        expected, _ = reference(x, x, x, attn_mask=bias.repeat(2, 1, 1), need_weights=False)
        assert (attn(x, attn_mask=bias) - expected).abs().max() <= 1e-5


def test_multihead_attention_attends_within_each_group():
    attn = MultiheadAttention(16, 2).eval()
    x, mask = randn(2, 3, 5, 16), randn(3, 2, 5, 5, seed=1)  # a mask per group and head
    with torch.no_grad():
        out = attn(x, attn_mask=mask)
        for g in range(3):
            assert (out[:, g] - attn(x[:, g], attn_mask=mask[g])).abs().max() <= 1e-5
    with pytest.raises(ValueError, match='divide embed_dims'):
        MultiheadAttention(30, 4)
    with pytest.raises(ValueError, match=r'\(B, L, C\) or \(B, G, L, C\)'):
        attn(torch.rand(5, 16))


@pytest.mark.parametrize(
    'height, width, shift',
    [
        (14, 14, 3),  # windows tile the grid exactly
        (20, 30, 3),  # padded to 21 x 35
        (5, 6, 3),  # smaller than a window: no shift at all
        (16, 16, 0),  # W-MSA
    ])
def test_window_attention_equals_torchvision(height, width, shift):
    torch.manual_seed(0)
    reference = ShiftedWindowAttention(24, [7, 7], [shift, shift], num_heads=3).eval()
    attn = ShiftWindowMSA(24, 3, window_size=7, shift_size=shift).eval()
    state = {f'w_msa.{k}': v for k, v in reference.state_dict().items()}
    state['w_msa.relative_position_index'] = state['w_msa.relative_position_index'].view(49, 49)
    attn.load_state_dict(state, strict=True)
    x = randn(2, height, width, 24)
    with torch.no_grad():
        out = attn(x)
    assert out.shape == x.shape
    assert (out - reference(x)).abs().max() <= 1e-5


@pytest.mark.parametrize(
    'height, width, pad_small_map',
    [
        (14, 14, False),
        (20, 30, False),
        (7, 20, False),  # the shorter side is one window: no shift (torchvision shifts the width)
        (7, 20, True),
        (5, 6, True),  # padded to one window and shifted
    ])
def test_shift_window_attention_equals_mmpretrain(height, width, pad_small_map):
    from mmpretrain.models.utils.attention import ShiftWindowMSA as MMPretrainShiftWindowMSA
    torch.manual_seed(0)
    reference = MMPretrainShiftWindowMSA(24, 3, 7, shift_size=3, pad_small_map=pad_small_map).eval()
    nn.init.normal_(reference.w_msa.relative_position_bias_table)
    attn = ShiftWindowMSA(24, 3, window_size=7, shift_size=3, pad_small_map=pad_small_map)
    attn.load_state_dict(reference.state_dict(), strict=True)
    x = randn(2, height, width, 24)
    with torch.no_grad():
        expected = reference(x.flatten(1, 2), (height, width)).view(x.shape)
        assert (attn.eval()(x) - expected).abs().max() <= 1e-5


def test_shifted_window_mask_separates_regions():
    attn = ShiftWindowMSA(8, 1, window_size=4, shift_size=2)
    mask = attn.shift_mask(8, 8, 2, torch.device('cpu'))
    assert mask.shape == (4, 16, 16)
    assert mask[0].eq(0).all(), 'the top-left window holds a single region'
    # The bottom-right window mixes four regions of 2x2 tokens: each attends to 4 of 16.
    assert mask[3].eq(0).sum(dim=1).tolist() == [4] * 16
    assert set(mask.unique().tolist()) == {0.0, -100.0}
    with pytest.raises(ValueError, match='shift_size'):
        ShiftWindowMSA(8, 1, window_size=4, shift_size=4)


@pytest.mark.parametrize('height, width', [(8, 8), (7, 5)])
def test_patch_merging_equals_torchvision_after_reordering_channels(height, width):
    torch.manual_seed(0)
    reference = TVPatchMerging(6).eval()
    nn.init.normal_(reference.norm.weight)
    merge = PatchMerging(6).eval()
    order = torchvision_merge_order(6)
    merge.load_state_dict({
        k: v[..., order]
        for k, v in reference.state_dict().items()
    },
                          strict=True)
    x = randn(2, height, width, 6)
    with torch.no_grad():
        out = merge(x)
    assert out.shape == (2, (height + 1) // 2, (width + 1) // 2, 12)
    assert (out - reference(x)).abs().max() <= 1e-5


@pytest.mark.parametrize('cfg', [dict(), dict(kernel_size=3, stride=2, padding='same')])
def test_patch_merging_equals_mmcv(cfg):
    from mmcv.cnn.bricks.transformer import PatchMerging as MMCVPatchMerging
    torch.manual_seed(0)
    reference = MMCVPatchMerging(6, 12, **cfg).eval()
    nn.init.normal_(reference.norm.weight)
    merge = PatchMerging(6, 12, **cfg).eval()
    merge.load_state_dict(reference.state_dict(), strict=True)
    x = randn(2, 7, 9, 6)
    with torch.no_grad():
        expected, shape = reference(x.flatten(1, 2), (7, 9))
        out = merge(x)
    assert out.shape[1:3] == shape
    assert (out.flatten(1, 2) - expected).abs().max() <= 1e-5


def test_ffn_equals_torchvision_mlp():
    torch.manual_seed(0)
    reference = MLP(16, [64, 16], activation_layer=nn.GELU, inplace=None).eval()
    ffn = FFN(16, 64).eval()
    ffn.load_state_dict(dict(zip(ffn.state_dict(), reference.state_dict().values())))
    x = randn(2, 5, 16)
    with torch.no_grad():
        assert (ffn(x) - reference(x)).abs().max() <= 1e-6


def test_patch_embed_pads_a_partial_patch_as_mmcv():
    embed = PatchEmbed(3, 8, patch_size=4, norm_cfg=dict(type='LN')).eval()
    nn.init.normal_(embed.norm.weight)
    x = randn(2, 3, 18, 16)  # 18 is not a multiple of 4: 2 zero rows complete the last patch
    with torch.no_grad():
        out = embed(x)
        expected = embed.norm(
            F.conv2d(
                F.pad(x, (0, 0, 0, 2)), embed.projection.weight, embed.projection.bias,
                stride=4).permute(0, 2, 3, 1))
    assert out.shape == (2, 5, 4, 8)
    assert (out - expected).abs().max() <= 1e-6
    assert embed.out_size((18, 16)) == (5, 4)
    assert PatchEmbed(3, 8, patch_size=4).norm is None
    cropping = PatchEmbed(3, 8, patch_size=4, padding=0)  # torchvision's convolution
    assert cropping(x).shape == (2, 4, 4, 8) and cropping.out_size((18, 16)) == (4, 4)
    with pytest.raises(ValueError, match='smaller than one 4x4 patch'):
        cropping(torch.rand(1, 3, 3, 8))


def test_patch_embed_equals_mmcv():
    from mmcv.cnn.bricks.transformer import PatchEmbed as MMCVPatchEmbed
    torch.manual_seed(0)
    reference = MMCVPatchEmbed(
        3, 8, kernel_size=4, stride=4, norm_cfg=dict(type='LN'), input_size=(18, 16)).eval()
    embed = PatchEmbed(
        3, 8, kernel_size=4, stride=4, norm_cfg=dict(type='LN'), input_size=(18, 16)).eval()
    embed.load_state_dict(reference.state_dict(), strict=True)
    x = randn(2, 3, 18, 16)
    with torch.no_grad():
        expected, shape = reference(x)
        out = embed(x)
    assert out.shape[1:3] == shape == reference.init_out_size == embed.out_size((18, 16))
    assert (out.flatten(1, 2) - expected).abs().max() <= 1e-6


def test_resize_pos_embed_keeps_the_class_token_and_interpolates_the_grid():
    pos_embed = randn(1, 1 + 4 * 6, 8)
    assert resize_pos_embed(pos_embed, (4, 6), (4, 6)) is pos_embed
    resized = resize_pos_embed(pos_embed, (4, 6), (8, 3))
    assert resized.shape == (1, 1 + 8 * 3, 8)
    assert torch.equal(resized[:, 0], pos_embed[:, 0])
    grid = pos_embed[:, 1:].reshape(1, 4, 6, 8).permute(0, 3, 1, 2)
    expected = F.interpolate(grid, size=(8, 3), mode='bicubic', align_corners=False)
    assert torch.allclose(resized[:, 1:], expected.flatten(2).transpose(1, 2))
    nearest = resize_pos_embed(pos_embed, (4, 6), (8, 12), mode='nearest')
    assert torch.equal(nearest[0, 1:].reshape(8, 12, 8)[::2, ::2], pos_embed[0, 1:].view(4, 6, 8))
    with pytest.raises(ValueError, match='1 extra tokens and a 5x5 grid'):
        resize_pos_embed(pos_embed, (5, 5), (6, 6))


def test_drop_path():
    drop = DropPath(0.25).train()
    torch.manual_seed(0)
    out = drop(torch.ones(4000, 2, 3))
    kept = out[:, 0, 0] != 0
    assert torch.equal(out[kept], torch.full_like(out[kept], 1 / 0.75))  # kept whole, rescaled
    assert torch.equal(out[~kept], torch.zeros_like(out[~kept]))  # dropped whole
    assert abs(kept.float().mean().item() - 0.75) < 0.03
    assert torch.equal(drop.eval()(out), out)
    with pytest.raises(ValueError, match=r'drop_prob must be in \[0, 1\)'):
        DropPath(1.0)
    assert drop_path_rates(0.3, 4) == pytest.approx([0.0, 0.1, 0.2, 0.3])
    assert drop_path_rates(0.3, 1) == [0.0]


def test_channel_last_norms():
    ln = build_channel_last_norm(dict(type='LN', eps=1e-6), 8)
    assert isinstance(ln, nn.LayerNorm) and ln.eps == 1e-6
    bn = build_channel_last_norm(dict(type='BN', requires_grad=False), 8).train()
    assert isinstance(bn, ChannelLastBatchNorm)
    assert not any(p.requires_grad for p in bn.parameters())
    x = randn(2, 5, 3, 8)
    reference = nn.BatchNorm1d(8).train()
    out = bn(x)
    assert (out - reference(x.reshape(-1, 8)).reshape(x.shape)).abs().max() <= 1e-6
    assert torch.allclose(bn.running_mean, reference.running_mean)
    assert isinstance(build_channel_last_norm(None, 8), nn.Identity)
    with pytest.raises(ValueError, match=r"'GN' is not supported.*'LN'.*'BN'"):
        build_channel_last_norm(dict(type='GN', num_groups=2), 8)


class ExplicitAttention(MultiheadAttention):
    """The attention written out with matmuls, as mmpretrain's published counts saw it."""

    def forward(self, x, attn_mask=None):
        b, length, c = x.shape
        q, k, v = self.qkv(x).reshape(b, length, 3, self.num_heads, -1).permute(2, 0, 3, 1, 4)
        attn = (q * self.head_dims**-0.5) @ k.transpose(-2, -1)
        out = attn.softmax(dim=-1) @ v
        return self.proj(out.transpose(1, 2).reshape(b, length, c))


def count_flops(module, x):
    MMLogger.get_current_instance().setLevel(logging.ERROR)
    analyzer = FlopAnalyzer(module, x)
    analyzer.unsupported_ops_warnings(False)
    return analyzer.total(), analyzer.by_operator()


def test_flop_count_includes_the_fused_attention():
    """MMEngine skips ``aten::scaled_dot_product_attention`` on its own; the zoo registers a
    handle that counts the two matmuls it replaces, so the count equals the written-out
    form's."""
    fused, explicit = MultiheadAttention(64, 4).eval(), ExplicitAttention(64, 4).eval()
    x = torch.rand(2, 50, 64)
    fused_total, by_operator = count_flops(fused, x)
    explicit_total, _ = count_flops(explicit, x)
    linear = 2 * 50 * 64 * (3 * 64 + 64)
    attention = 2 * 4 * 50 * 50 * (16 + 16)  # q @ k^T and attn @ v, per head
    assert by_operator['scaled_dot_product_attention'] == attention
    assert fused_total == explicit_total == linear + attention
