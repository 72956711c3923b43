"""zoo's LoRAModel is mmpretrain's: the same layers wrapped, the same trainable parameters,
state-dict keys and outputs, and a LoRA checkpoint of one loads into the other."""
import pytest
import torch

import zoo.models  # noqa: F401
from zoo.registry import MODELS

MODULE = dict(type='VisionTransformer', arch='deit-tiny', img_size=32, patch_size=8)
LORA = dict(
    module=MODULE,
    alpha=16,
    rank=4,
    drop_rate=0.1,
    targets=[dict(type='qkv'), dict(type='.*ffn.layers.1', rank=2, alpha=4)])


def build_both():
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import MODELS as MMPRETRAIN_MODELS
    from mmpretrain.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        torch.manual_seed(0)
        theirs = MMPRETRAIN_MODELS.build(dict(type='LoRAModel', **LORA))
    with DefaultScope.overwrite_default_scope('zoo'):
        torch.manual_seed(0)
        ours = MODELS.build(dict(type='LoRAModel', **LORA))
    return ours, theirs


def test_lora_model_equals_mmpretrains():
    ours, theirs = build_both()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert all('.lora_' in key for key in ours.state_dict())
    trainable = [n for n, p in ours.named_parameters() if p.requires_grad]
    assert trainable == [n for n, p in theirs.named_parameters() if p.requires_grad]
    assert len(trainable) == 12 * 2 * 2  # 12 blocks, qkv and ffn's second layer, down and up

    # the frozen weights copied, the lora weights loaded from mmpretrain's LoRA checkpoint
    full = {k: v for k, v in theirs.named_parameters()}
    with torch.no_grad():
        for name, param in ours.named_parameters():
            param.copy_(full[name])
        for name, param in theirs.named_parameters():
            if 'lora_up' in name:  # non-zero updates, so that the LoRA path is compared
                param.normal_(0, 0.02)
    assert ours.load_state_dict(theirs.state_dict(), strict=True).missing_keys == []
    ours.eval(), theirs.eval()
    x = torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        torch.testing.assert_close(ours(x), theirs(x), rtol=0, atol=1e-6)
    assert ours.out_type == theirs.out_type == 'cls_token'  # the wrapped backbone's attributes


def test_lora_trains_only_the_update():
    ours, _ = build_both()
    before = {n: p.detach().clone() for n, p in ours.named_parameters()}
    optimizer = torch.optim.SGD([p for p in ours.parameters() if p.requires_grad], lr=0.1)
    for _ in range(2):
        loss = ours(torch.randn(2, 3, 32, 32))[-1].square().mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    for name, param in ours.named_parameters():
        changed = not torch.equal(before[name], param)
        if '.lora_' not in name:
            assert not changed and not param.requires_grad, name  # the module stays frozen
        else:  # (lora_down's first steps are tiny: lora_up starts at zero)
            assert param.requires_grad and (changed or 'lora_down' in name), name


def test_targets_that_match_nothing_are_named():
    with pytest.raises(ValueError, match=r"no nn.Linear matches targets \['kqv'\]"):
        MODELS.build(dict(type='LoRAModel', module=MODULE, rank=2, targets=[dict(type='kqv')]))
    with pytest.raises(ValueError, match='targets must name at least one layer'):
        MODELS.build(dict(type='LoRAModel', module=MODULE, rank=2))
