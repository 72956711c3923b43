"""zoo.analysis.step_profile on a real MobileNetV3-Small step beside torchvision's: the
operators of both steps are collected and compared (no timing is checked)."""
import torch
from mmengine.config import Config

from zoo.analysis.benchmark import BenchSettings, classification_benches
from zoo.analysis.step_profile import compare, format_comparison, profile_step


def test_profiles_compare_operator_by_operator():
    torch.manual_seed(0)
    settings = BenchSettings(batch_size=2, shape=32, warmup=1)
    cfg = Config.fromfile('configs/mobilenet_v3/mobilenet-v3-small_8xb128_in1k.py')
    benches, _ = classification_benches(cfg, settings)
    zoo, tv = (profile_step(bench, steps=1, warmup=1, row_limit=5) for bench in benches)
    for step in (zoo, tv):
        assert {'aten::convolution_backward', 'aten::native_batch_norm'} <= set(step.ops)
        assert step.total > 0 and 'Self CPU time total' in step.table
    # the same network: the same number of convolutions forward and backward
    assert zoo.ops['aten::convolution_backward'][1] == tv.ops['aten::convolution_backward'][1]
    rows = compare(zoo, tv)
    extra = [mine - theirs for _, (mine, theirs, _, _) in rows]
    assert extra == sorted(extra, reverse=True)
    assert {name for name, _ in rows} == set(zoo.ops) | set(tv.ops)
    text = format_comparison(zoo, tv, limit=3)
    assert text.splitlines()[1].startswith('| op | zoo ms | torchvision mobilenet_v3_small ms')
