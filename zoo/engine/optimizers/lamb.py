import math
from typing import Callable, Iterable, Optional, Tuple

import torch
from torch.optim import Optimizer

from zoo.registry import OPTIMIZERS


@OPTIMIZERS.register_module()
class Lamb(Optimizer):
    """LAMB (You et al. 2020), as mmpretrain's ``Lamb`` (itself timm's): Adam's update
    rescaled per tensor by the trust ratio ``||w|| / ||update||``.

    All gradients are first divided by ``max(1, global norm / max_grad_norm)``; the trust ratio
    applies to tensors with weight decay (or all, with ``always_adapt``), clipped at 1 with
    ``trust_clip``. The ResNet strikes-back recipes (``resnet50_8xb256-rsb-*``) train with it.

    Args:
        params: The parameters or parameter groups.
        lr: Learning rate.
        bias_correction: Whether to correct the moments' bias, as Adam.
        betas: The moments' decay rates.
        eps: Added to the denominator.
        weight_decay: Decoupled weight decay, added to the update.
        grad_averaging: Whether the first moment averages ``(1 - beta1) * grad`` (else ``grad``).
        max_grad_norm: The global gradient norm above which gradients are scaled down.
        trust_clip: Clip the trust ratio at 1 (LAMBC).
        always_adapt: Apply the trust ratio to tensors without weight decay too.
    """

    def __init__(self,
                 params: Iterable,
                 lr: float = 1e-3,
                 bias_correction: bool = True,
                 betas: Tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-6,
                 weight_decay: float = 0.01,
                 grad_averaging: bool = True,
                 max_grad_norm: float = 1.0,
                 trust_clip: bool = False,
                 always_adapt: bool = False):
        if lr < 0 or eps < 0 or weight_decay < 0 or not all(0 <= b < 1 for b in betas):
            raise ValueError(f'Lamb: need lr, eps, weight_decay >= 0 and betas in [0, 1), got '
                             f'lr={lr}, eps={eps}, weight_decay={weight_decay}, betas={betas}')
        super().__init__(
            params,
            dict(
                lr=lr,
                bias_correction=bias_correction,
                betas=betas,
                eps=eps,
                weight_decay=weight_decay,
                grad_averaging=grad_averaging,
                max_grad_norm=max_grad_norm,
                trust_clip=trust_clip,
                always_adapt=always_adapt))

    @torch.no_grad()
    def step(self, closure: Optional[Callable] = None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        grads = [
            p.grad for group in self.param_groups for p in group['params'] if p.grad is not None
        ]
        if any(g.is_sparse for g in grads):
            raise RuntimeError('Lamb does not support sparse gradients')
        if not grads:
            return loss
        device = grads[0].device
        one = torch.tensor(1.0, device=device)
        global_norm = torch.sqrt(
            sum((g.pow(2).sum() for g in grads), torch.zeros(1, device=device)))
        max_norm = torch.tensor(self.defaults['max_grad_norm'], device=device)
        clip = torch.where(global_norm > max_norm, global_norm / max_norm, one)

        for group in self.param_groups:
            beta1, beta2 = group['betas']
            beta3 = 1 - beta1 if group['grad_averaging'] else 1.0
            group['step'] = group.get('step', 0) + 1
            if group['bias_correction']:
                correction1, correction2 = 1 - beta1**group['step'], 1 - beta2**group['step']
            else:
                correction1, correction2 = 1.0, 1.0
            for p in group['params']:
                if p.grad is None:
                    continue
                grad = p.grad.div_(clip)
                state = self.state[p]
                if not state:
                    state['exp_avg'] = torch.zeros_like(p)
                    state['exp_avg_sq'] = torch.zeros_like(p)
                exp_avg, exp_avg_sq = state['exp_avg'], state['exp_avg_sq']
                exp_avg.mul_(beta1).add_(grad, alpha=beta3)
                exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                denom = (exp_avg_sq.sqrt() / math.sqrt(correction2)).add_(group['eps'])
                update = (exp_avg / correction1).div_(denom)
                if group['weight_decay'] != 0:
                    update.add_(p, alpha=group['weight_decay'])
                if group['weight_decay'] != 0 or group['always_adapt']:
                    w_norm, u_norm = p.norm(2.0), update.norm(2.0)
                    trust = torch.where(w_norm > 0, torch.where(u_norm > 0, w_norm / u_norm, one),
                                        one)
                    if group['trust_clip']:
                        trust = torch.minimum(trust, one)
                    update.mul_(trust)
                p.add_(update, alpha=-group['lr'])
        return loss
