import math
import os.path as osp
from typing import Optional, Sequence

import numpy as np
from mmengine.fileio import join_path
from mmengine.hooks import Hook
from mmengine.runner import EpochBasedTrainLoop, Runner
from mmengine.visualization import Visualizer

from zoo.registry import HOOKS
from zoo.structures import ClsDataSample


@HOOKS.register_module()
class VisualizationHook(Hook):
    """mmpretrain's classification visualization hook: draws every ``interval``-th validation
    and test sample with its labels (``visualize_cls`` of the runner's visualizer, a
    :class:`~zoo.visualization.UniversalVisualizer`) and stores it.

    With ``out_dir`` the pictures go to ``<out_dir>/<image name>_<step>.png``; otherwise to the
    visualizer's backends (``LocalVisBackend``: ``<work_dir>/<timestamp>/vis_data/vis_image/``,
    ``TensorboardVisBackend``: TensorBoard's images tab), one per sample and epoch (the step
    is the epoch, or the iteration in iteration-based training; 0 in testing). A val set of
    ``n`` images gives ``ceil(n / interval)`` pictures an evaluation.

    The hook draws the pipeline's packed image (what the model sees before normalisation),
    turned from BGR, mmcv's order, to RGB. Without ``resize`` or ``rescale_factor``, an image
    whose short edge is below :attr:`min_legible` pixels (CIFAR's 32, the digits') is scaled
    up to it, so that the labels written on it can be read.

    Args:
        enable: Whether to draw at all (off by default, as in mmpretrain).
        interval: Draw sample ``0, interval, 2 * interval, ...`` of the data set.
        show: Also show each picture in a window.
        out_dir: Write the pictures to this folder instead of the vis backends.
        **kwargs: Further arguments of ``UniversalVisualizer.visualize_cls`` (``resize``,
            ``draw_score``, ``classes``, ``text_cfg``, ...).
    """

    min_legible = 224  # px: the short edge below which an image is scaled up to be drawn on

    def __init__(self,
                 enable: bool = False,
                 interval: int = 5000,
                 show: bool = False,
                 out_dir: Optional[str] = None,
                 **kwargs):
        if interval < 1:
            raise ValueError(f'VisualizationHook: interval must be >= 1, got {interval}')
        self._visualizer: Visualizer = Visualizer.get_current_instance()
        if enable and not hasattr(self._visualizer, 'visualize_cls'):
            raise TypeError(f'VisualizationHook needs a visualizer with visualize_cls (set '
                            f"visualizer=dict(type='UniversalVisualizer', ...)), the current "
                            f'one is a {type(self._visualizer).__name__}')
        self.enable = enable
        self.interval = interval
        self.show = show
        self.out_dir = out_dir
        self.draw_args = {**kwargs, 'show': show}
        self.upscale_small = 'resize' not in kwargs and 'rescale_factor' not in kwargs

    def _draw_samples(self,
                      batch_idx: int,
                      data_batch: dict,
                      data_samples: Sequence[ClsDataSample],
                      step: int = 0) -> None:
        """Draw the samples of this batch whose index in the data set is a multiple of
        ``interval``."""
        if not self.enable:
            return
        batch_size = len(data_samples)
        start_idx = batch_size * batch_idx
        first_sample_id = math.ceil(start_idx / self.interval) * self.interval
        for sample_id in range(first_sample_id, start_idx + batch_size, self.interval):
            image = data_batch['inputs'][sample_id - start_idx]
            image = image.permute(1, 2, 0).cpu().numpy().astype(np.uint8)
            if image.shape[2] == 3:
                image = image[..., ::-1]  # BGR -> RGB
            data_sample = data_samples[sample_id - start_idx]
            name = osp.basename(data_sample.img_path) if 'img_path' in data_sample \
                else str(sample_id)
            out_file = join_path(self.out_dir, f'{name}_{step}.png') \
                if self.out_dir is not None else None
            small = self.upscale_small and min(image.shape[:2]) < self.min_legible
            self._visualizer.visualize_cls(
                image=image,
                data_sample=data_sample,
                step=step,
                name=name,
                out_file=out_file,
                **self.draw_args,
                **(dict(resize=self.min_legible) if small else {}))

    def after_val_iter(self, runner: Runner, batch_idx: int, data_batch: dict,
                       outputs: Sequence[ClsDataSample]) -> None:
        step = runner.epoch if isinstance(runner.train_loop, EpochBasedTrainLoop) \
            else runner.iter
        self._draw_samples(batch_idx, data_batch, outputs, step=step)

    def after_test_iter(self, runner: Runner, batch_idx: int, data_batch: dict,
                        outputs: Sequence[ClsDataSample]) -> None:
        self._draw_samples(batch_idx, data_batch, outputs, step=0)
