# Runtime shared by every zoo config: MMEngine's stock hooks, with zoo's SafeCheckpointHook
# (checkpoints that torch>=2.6 reads with weights_only=True, written atomically).
default_scope = 'zoo'

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=100),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='SafeCheckpointHook', interval=1, max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    # val/test labels must mean the model's classes (a missing class folder shifts them)
    class_check=dict(type='ClassCheckHook'),
    # Draws every `interval`-th val/test image with its labels to the vis backends (below).
    visualization=dict(type='VisualizationHook', enable=False),
    # keeps the memory a step frees for the next one instead of faulting it in again (CPU
    # training 5-30% faster); enable=False keeps glibc's adaptive malloc thresholds; for
    # ImageNet-size models on the CPU add mmap_max=0, trim_threshold=-1 (blocks over 32 MiB too)
    host_malloc=dict(type='GlibcMallocHook'),
)

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # nccl for GPUs; CPU-only distributed runs use --cfg-options env_cfg.dist_cfg.backend=gloo
    dist_cfg=dict(backend='nccl'),
)

# Scalars and pictures go to <work_dir>/<timestamp>/vis_data. For TensorBoard as well, use the
# second line instead (needs the tensorboard package), then `tensorboard --logdir work_dirs`.
vis_backends = [dict(type='LocalVisBackend')]
# vis_backends = [dict(type='LocalVisBackend'), dict(type='TensorboardVisBackend')]
visualizer = dict(type='UniversalVisualizer', vis_backends=vis_backends)

log_level = 'INFO'
load_from = None
# zoo: load_from must fit the model exactly; False loads the tensors that fit (a fine-tune)
load_from_strict = True
resume = False
# True or a dict of torch.compile kwargs compiles train_step (MMEngine's Runner): faster steps
# on a GPU after a one-off compile (about a minute for ResNet-50), the first iteration waits
compile = False
randomness = dict(seed=None, deterministic=False)
