"""VisionTransformer: input sizes other than the training size, checkpoints trained at another
size, output types, freezing and layer depths."""
import pytest
import torch
from mmengine.runner import load_checkpoint

from zoo.models.backbones import VisionTransformer
from zoo.models.layers import resize_pos_embed

TINY = dict(embed_dims=32, num_layers=3, num_heads=2, feedforward_channels=64)


def tiny_vit(**kwargs) -> VisionTransformer:
    torch.manual_seed(0)
    model = VisionTransformer(**dict(dict(arch=TINY, img_size=32, patch_size=8), **kwargs))
    model.init_weights()  # a non-zero position embedding, so that resizing it matters
    return model.eval()


def randn(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize('size, grid', [((32, 32), (4, 4)), ((48, 48), (6, 6)), ((64, 40), (8, 5))])
def test_other_input_sizes(size, grid):
    model = tiny_vit(out_type='featmap', out_indices=(0, 2))
    with torch.no_grad():
        outs = model(randn(2, 3, *size))
    assert [tuple(out.shape) for out in outs] == [(2, 32, *grid)] * 2


def test_position_embedding_is_resized_to_the_input_grid():
    """At 48 px the 32-px model behaves as a 48-px model whose embedding is the resized one."""
    small = tiny_vit()
    large = tiny_vit(img_size=48)
    state = small.state_dict()
    state['pos_embed'] = resize_pos_embed(small.pos_embed.detach(), (4, 4), (6, 6))
    large.load_state_dict(state, strict=True)
    x = randn(2, 3, 48, 48)
    with torch.no_grad():
        assert (small(x)[0] - large(x)[0]).abs().max() <= 1e-5
        # ... and the embedding does matter: without resizing the outputs would differ.
        large.pos_embed.zero_()
        assert (small(x)[0] - large(x)[0]).abs().max() > 1e-3


def test_checkpoint_trained_at_another_size_loads_with_resized_pos_embed(tmp_path):
    """Through MMEngine's ``load_checkpoint`` (the Runner's ``load_from``) and a plain
    ``load_state_dict``: the load hook resizes the checkpoint's 4x4 grid to the model's 6x6."""
    small = tiny_vit()
    checkpoint = tmp_path / 'vit-32px.pth'
    torch.save({'state_dict': {
        f'backbone.{k}': v
        for k, v in small.state_dict().items()
    }}, checkpoint)
    expected = resize_pos_embed(small.pos_embed.detach(), (4, 4), (6, 6))
    large = tiny_vit(img_size=48)
    load_checkpoint(large, str(checkpoint), revise_keys=[(r'^backbone\.', '')], strict=True)
    assert large.pos_embed.shape == (1, 1 + 36, 32)
    assert torch.equal(large.pos_embed.detach(), expected)
    assert torch.equal(large.pos_embed[:, 0], small.pos_embed[:, 0])  # the class token's
    assert torch.equal(large.layer1.attn.qkv.weight, small.layer1.attn.qkv.weight)

    large = tiny_vit(img_size=48)
    large.load_state_dict(small.state_dict(), strict=True)
    assert torch.equal(large.pos_embed.detach(), expected)
    # A grid that is not square cannot be inferred from the checkpoint.
    state = small.state_dict()
    state['pos_embed'] = torch.zeros(1, 1 + 4 * 5, 32)
    with pytest.raises(ValueError, match='square patch grid'):
        large.load_state_dict(state)


def test_out_types():
    x = randn(2, 3, 32, 32)
    shapes = {
        'cls_token': (2, 32),
        'featmap': (2, 32, 4, 4),
        'avg_featmap': (2, 32),
        'raw': (2, 17, 32)
    }
    for out_type, shape in shapes.items():
        model = tiny_vit(out_type=out_type)
        with torch.no_grad():
            out, = model(x)
        assert tuple(out.shape) == shape, out_type
        assert hasattr(model, 'ln2') == (out_type == 'avg_featmap')
    with torch.no_grad():
        raw, = tiny_vit(out_type='raw')(x)
        assert torch.equal(tiny_vit(out_type='cls_token')(x)[0], raw[:, 0])
        featmap, = tiny_vit(out_type='featmap')(x)
        assert torch.equal(featmap.flatten(2).transpose(1, 2), raw[:, 1:])
    with pytest.raises(ValueError, match="out_type 'tokens' is not one of"):
        tiny_vit(out_type='tokens')


def test_final_norm_applies_to_the_last_layer_only():
    model = tiny_vit(out_type='raw', out_indices=(1, 2))
    x = randn(2, 3, 32, 32)
    with torch.no_grad():
        middle, last = model(x)
        unnormed = model.layer3(middle)
    assert torch.allclose(last, model.ln1(unnormed), atol=1e-6)
    assert not hasattr(tiny_vit(final_norm=False), 'ln1')


def test_frozen_stages_freeze_the_embeddings():
    model = tiny_vit(frozen_stages=0)
    frozen = {
        'cls_token', 'pos_embed', 'patch_embed.projection.weight', 'patch_embed.projection.bias'
    }
    assert {n for n, p in model.named_parameters() if not p.requires_grad} == frozen
    model = tiny_vit(frozen_stages=3)
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    assert trainable == [], 'all layers frozen: the final norm freezes too'


def test_layer_depths_for_layer_wise_decay():
    model = tiny_vit()
    depths = {name: model.get_layer_depth(name) for name, _ in model.named_parameters()}
    assert depths['cls_token'] == depths['pos_embed'] == (0, 4)
    assert depths['patch_embed.projection.weight'] == (0, 4)
    assert depths['layers.0.attn.qkv.weight'] == (1, 4)
    assert depths['layers.2.ffn.layers.1.bias'] == (3, 4)
    assert depths['ln1.weight'] == (4, 4)


def test_stochastic_depth_rises_linearly():
    model = tiny_vit(drop_path_rate=0.2)
    rates = [getattr(model, f'layer{i}').drop_path.drop_prob for i in (1, 2, 3)]
    assert rates == pytest.approx([0.0, 0.1, 0.2])


def test_bad_arch():
    with pytest.raises(ValueError, match=r"arch 'x' is not one of \['s', 'small', 'b', 'base'"):
        VisionTransformer(arch='x')
    with pytest.raises(ValueError, match='exactly the keys'):
        VisionTransformer(arch=dict(embed_dims=32, num_layers=2))
    with pytest.raises(ValueError, match='img_size'):
        VisionTransformer(arch=TINY, img_size=8, patch_size=16)


def test_without_class_token():
    """mmpretrain's ``with_cls_token=False``: no class token, a position embedding for the
    patches only; a checkpoint with a class token entry loads with that entry dropped."""
    model = tiny_vit(with_cls_token=False, out_type='raw')
    assert model.cls_token is None and model.pos_embed.shape == (1, 16, 32)
    with torch.no_grad():
        raw, = model(randn(2, 3, 32, 32))
    assert raw.shape == (2, 16, 32)
    state = tiny_vit(out_type='raw').state_dict()
    del state['cls_token']
    model.load_state_dict(state, strict=True)
    assert torch.equal(model.pos_embed.detach(), state['pos_embed'][:, 1:])
    with pytest.raises(ValueError, match="out_type='cls_token' needs with_cls_token=True"):
        tiny_vit(with_cls_token=False)


def test_layer_cfgs_pre_norm_and_layer_scale_name_modules_as_mmpretrain():
    model = tiny_vit(
        pre_norm=True, layer_scale_init_value=0.1, layer_cfgs=[dict(),
                                                               dict(),
                                                               dict(num_fcs=3)])
    keys = set(model.state_dict())
    assert {
        'pre_norm.weight', 'layers.0.attn.gamma1.weight', 'layers.0.ffn.gamma2.weight',
        'layers.2.ffn.layers.2.weight'
    } <= keys
    assert 'patch_embed.projection.bias' not in keys  # CLIP's pre-norm: no projection bias
    assert torch.equal(model.layers[0].attn.gamma1.weight, torch.full((32, ), 0.1))
    with pytest.raises(ValueError, match='layer_cfgs has 2 dicts for 3 layers'):
        tiny_vit(layer_cfgs=[dict(), dict()])
    with pytest.raises(ValueError, match="ffn_type 'swiglu_fused' is not supported"):
        tiny_vit(layer_cfgs=dict(ffn_type='swiglu_fused'))
