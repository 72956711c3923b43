from typing import Optional, Sequence

from mmengine.model import ImgDataPreprocessor

from zoo.registry import MODELS


@MODELS.register_module()
class ClsDataPreprocessor(ImgDataPreprocessor):
    """Moves a batch to the model's device, then converts, normalises and stacks it there.

    Normalising after the transfer keeps the data loader's tensors ``uint8`` (4x less to copy
    than float) and runs the arithmetic on the accelerator. This is MMEngine's
    ``ImgDataPreprocessor`` under mmpretrain's argument names, so mmpretrain configs carry over.

    Args:
        mean: Per-channel mean subtracted from the images (``None``: no normalisation).
        std: Per-channel standard deviation the images are divided by.
        to_rgb: Whether to flip BGR (what OpenCV decodes) to RGB, as torchvision-trained
            weights expect.
        pad_size_divisor: Pad each batch so that its height and width divide by this.
        pad_value: Value of the padded pixels.
        non_blocking: Whether to copy to the device asynchronously.
    """

    def __init__(self,
                 mean: Optional[Sequence[float]] = None,
                 std: Optional[Sequence[float]] = None,
                 to_rgb: bool = False,
                 pad_size_divisor: int = 1,
                 pad_value: float = 0,
                 non_blocking: bool = False):
        if (mean is None) != (std is None):
            raise ValueError('ClsDataPreprocessor: give both mean and std, or neither')
        super().__init__(
            mean=mean,
            std=std,
            pad_size_divisor=pad_size_divisor,
            pad_value=pad_value,
            bgr_to_rgb=to_rgb,
            non_blocking=non_blocking)
