import torch
import torch.distributed as dist
from mmengine.config import Config


def prepare_cpu_distributed(cfg: Config) -> None:
    """Let a ``--launcher`` run work on machines without CUDA.

    MMEngine 0.10.7's ``init_dist`` calls ``torch.cuda.set_device`` whatever the backend, and its
    Runner wraps the model in DDP with ``device_ids=[LOCAL_RANK]``, which CPU DDP refuses. On a
    CPU-only machine the process group is therefore started here, on gloo (the Runner then skips
    its own ``init_dist``), and DDP gets no device ids. With CUDA, nothing changes.
    """
    if cfg.launcher == 'none' or torch.cuda.is_available():
        return
    if not dist.is_initialized():
        dist.init_process_group(backend='gloo')  # env:// from torchrun / the launcher
    wrapper = cfg.get('model_wrapper_cfg') or dict(type='MMDistributedDataParallel')
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper
