"""One training step of a config's model and of torchvision's model of the same architecture,
under ``torch.profiler``, compared operator by operator (CPU ops, and CUDA kernels on a GPU).

The benches are :mod:`.benchmark`'s (the same random batch, SGD step, autocast and memory
format). Each model runs ``warmup`` untimed steps, then ``steps`` profiled ones; the table
lists the operators by how much more self time they take in zoo's step than in torchvision's,
so that the gap between the two shows where it is.
"""
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import torch
from torch.profiler import ProfilerActivity, profile

from .benchmark import Bench

# (self time in zoo's step, in torchvision's, calls in zoo's, in torchvision's); microseconds
OpTimes = Tuple[float, float, int, int]


@dataclass
class StepProfile:
    name: str
    ops: Dict[str, Tuple[float, int]]  # op -> (self time a step, microseconds; calls a step);
    # device time on a GPU (kernels), else CPU time
    table: str  # torch's key_averages table
    cpu_total: float  # self CPU time a step, microseconds (on a GPU: the launch side)

    @property
    def total(self) -> float:
        return sum(t for t, _ in self.ops.values())


def profile_step(bench: Bench,
                 steps: int = 3,
                 warmup: int = 2,
                 trace: Optional[str] = None,
                 row_limit: int = 15) -> StepProfile:
    """Self time per operator of ``bench``'s training step, averaged over ``steps``."""
    bench.run('train', iters=0, warmup=warmup)
    cuda = bench.device.startswith('cuda')
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if cuda else [])
    with profile(activities=activities) as prof:
        for _ in range(steps):
            bench.train_step()
        if cuda:
            torch.cuda.synchronize()
    if trace:
        prof.export_chrome_trace(trace)
    averages = prof.key_averages()
    device_time = 'self_device_time_total' if cuda else 'self_cpu_time_total'
    ops = {}
    for event in averages:
        self_time = getattr(event, device_time, 0) if cuda else event.self_cpu_time_total
        if self_time > 0:
            ops[event.key] = (self_time / steps, event.count // steps)
    table = averages.table(sort_by=device_time, row_limit=row_limit)
    cpu_total = sum(event.self_cpu_time_total for event in averages) / steps
    return StepProfile(bench.name, ops, table, cpu_total)


def compare(zoo: StepProfile, other: StepProfile) -> List[Tuple[str, OpTimes]]:
    """Every operator of either step, by zoo's extra self time (largest first)."""
    names = set(zoo.ops) | set(other.ops)
    rows = [(name, (zoo.ops.get(name, (0., 0))[0], other.ops.get(name, (0., 0))[0],
                    zoo.ops.get(name, (0., 0))[1], other.ops.get(name, (0., 0))[1]))
            for name in names]
    return sorted(rows, key=lambda row: row[1][1] - row[1][0])


def format_comparison(zoo: StepProfile, other: StepProfile, limit: int = 15) -> str:
    lines = [
        f'self time a step: {zoo.name} {zoo.total / 1e3:.1f} ms, {other.name} '
        f'{other.total / 1e3:.1f} ms (speed of the profiled steps, zoo / torchvision: '
        f'{other.total / zoo.total:.3f}; the profiler adds its own cost); self CPU time '
        f'{zoo.cpu_total / 1e3:.1f} ms and {other.cpu_total / 1e3:.1f} ms',
        f'| op | {zoo.name} ms | {other.name} ms | zoo - torchvision ms | calls zoo / tv |',
        '| --- | --- | --- | --- | --- |',
    ]
    rows = compare(zoo, other)
    shown = rows[:limit] + [
        row for row in rows[::-1][:min(5, len(rows))] if row not in rows[:limit]
    ]
    for name, (mine, theirs, my_calls, their_calls) in shown:
        lines.append(f'| {name} | {mine / 1e3:.2f} | {theirs / 1e3:.2f} | '
                     f'{(mine - theirs) / 1e3:+.2f} | {my_calls} / {their_calls} |')
    return '\n'.join(lines)
