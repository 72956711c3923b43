import torch
from torch import nn

from zoo.registry import OPTIM_WRAPPERS


def test_forward_runs_in_bf16_and_updates_float32_weights():
    model = nn.Linear(4, 2)
    wrapper = OPTIM_WRAPPERS.build(
        dict(
            type='BF16AutocastOptimWrapper', optimizer=torch.optim.SGD(model.parameters(), lr=0.1)))
    before = model.weight.detach().clone()
    with wrapper.optim_context(model):
        out = model(torch.randn(3, 4))
    assert out.dtype == torch.bfloat16
    wrapper.update_params(out.float().pow(2).mean())
    assert model.weight.dtype == torch.float32
    assert not torch.equal(model.weight, before)
