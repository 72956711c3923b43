from typing import Optional, Sequence

import mmcv
import numpy as np
from mmengine.dist import master_only
from mmengine.visualization import Visualizer

from zoo.registry import VISUALIZERS
from zoo.structures import ClsDataSample


def get_adaptive_scale(img_shape: Sequence[int],
                       min_scale: float = 0.3,
                       max_scale: float = 3.0) -> float:
    """Text scale from the image's short edge: 1.0 at 224 px, linear, clipped (mmpretrain's)."""
    return min(max(min(img_shape[:2]) / 224., min_scale), max_scale)


def as_rgb(image: np.ndarray) -> np.ndarray:
    """An ``(H, W)``, ``(H, W, 1)`` or ``(H, W, 3)`` image as ``(H, W, 3)`` uint8 (gray is
    repeated, three channels are kept as they are)."""
    if image.ndim == 2:
        image = image[..., None]
    if image.ndim != 3 or image.shape[2] not in (1, 3):
        raise ValueError(f'an image must be (H, W), (H, W, 1) or (H, W, 3), got shape '
                         f'{image.shape}')
    image = np.clip(image, 0, 255).astype(np.uint8)
    return np.repeat(image, 3, axis=2) if image.shape[2] == 1 else image


@VISUALIZERS.register_module()
class UniversalVisualizer(Visualizer):
    """mmpretrain's visualizer for classification: the ground-truth and predicted labels, with
    the predicted scores and class names, written in a box on the image.

    It takes mmpretrain's arguments (MMEngine's ``Visualizer``'s) and its
    :meth:`visualize_cls` has mmpretrain's signature, so mmpretrain's ``VisualizationHook`` and
    zoo's drive it alike. Images are RGB; gray images are drawn as gray RGB.

    Example:
        >>> vis = UniversalVisualizer()
        >>> sample = ClsDataSample().set_gt_label(1).set_pred_label(1).set_pred_score(
        ...     torch.tensor([0.1, 0.9]))
        >>> vis.visualize_cls(np.zeros((224, 224, 3), np.uint8), sample,
        ...                   classes=['cat', 'dog']).shape
        (224, 224, 3)
    """
    DEFAULT_TEXT_CFG = {
        'family': 'monospace',
        'color': 'white',
        'bbox': dict(facecolor='black', alpha=0.5, boxstyle='Round'),
        'verticalalignment': 'top',
        'horizontalalignment': 'left',
    }

    @master_only
    def visualize_cls(self,
                      image: np.ndarray,
                      data_sample: ClsDataSample,
                      classes: Optional[Sequence[str]] = None,
                      draw_gt: bool = True,
                      draw_pred: bool = True,
                      draw_score: bool = True,
                      resize: Optional[int] = None,
                      rescale_factor: Optional[float] = None,
                      text_cfg: dict = dict(),
                      show: bool = False,
                      wait_time: float = 0,
                      out_file: Optional[str] = None,
                      name: str = '',
                      step: int = 0) -> np.ndarray:
        """Draw the labels of ``data_sample`` on ``image`` (RGB) and store the result.

        Args:
            image: The image, RGB (or gray).
            data_sample: Its ``gt_label`` and/or ``pred_label`` / ``pred_score``.
            classes: Class names; defaults to ``dataset_meta['classes']`` when set.
            draw_gt: Write the ground-truth labels.
            draw_pred: Write the predicted labels.
            draw_score: Write the predicted labels' scores.
            resize: Resize the short edge to this length first (small images need it for
                legible text).
            rescale_factor: Rescale the image by this factor first (if ``resize`` is unset).
            text_cfg: Extra ``matplotlib`` text settings.
            show: Show the result in a window.
            wait_time: Seconds to show it (0: until closed).
            out_file: Write the result here (BGR file, as mmcv writes) instead of to the vis
                backends.
            name: The image's name for the vis backends.
            step: The step (epoch or iteration) recorded with it by the vis backends.

        Returns:
            The drawn image, RGB ``(H, W, 3)`` uint8.
        """
        if self.dataset_meta is not None:
            classes = classes or self.dataset_meta.get('classes', None)
        image = as_rgb(image)
        if resize is not None:
            h, w = image.shape[:2]
            size = (resize, resize * h // w) if w < h else (resize * w // h, resize)
            image = mmcv.imresize(image, size)
        elif rescale_factor is not None:
            image = mmcv.imrescale(image, rescale_factor)

        texts = []
        if draw_gt and 'gt_label' in data_sample:
            labels = [self._label_text(i, classes) for i in data_sample.gt_label.tolist()]
            texts.append(self._field_text('Ground truth: ', labels))
        if draw_pred and 'pred_label' in data_sample:
            score = data_sample.get('pred_score') if draw_score else None
            labels = [self._label_text(i, classes, score) for i in data_sample.pred_label.tolist()]
            texts.append(self._field_text('Prediction: ', labels))

        self.set_image(image)
        scale = get_adaptive_scale(image.shape)
        text_cfg = {'size': int(scale * 7), **self.DEFAULT_TEXT_CFG, **text_cfg}
        self.ax_save.text(scale * 5, scale * 5, '\n'.join(texts), **text_cfg)
        drawn = self.get_image()

        if show:
            self.show(drawn, win_name=name, wait_time=wait_time)
        if out_file is not None:
            mmcv.imwrite(drawn[..., ::-1], out_file)
        else:
            self.add_image(name, drawn, step=step)
        return drawn

    @staticmethod
    def _label_text(index: int, classes: Optional[Sequence[str]], scores=None) -> str:
        if classes is not None and not 0 <= index < len(classes):
            raise ValueError(f'label {index} is outside the {len(classes)} class names')
        text = str(index)
        if scores is not None:
            text += f', {float(scores[index]):.2f}'
        if classes is not None:
            text += f' ({classes[index]})'
        return text

    @staticmethod
    def _field_text(prefix: str, labels: Sequence[str]) -> str:
        return prefix + ('\n' + ' ' * len(prefix)).join(labels)
