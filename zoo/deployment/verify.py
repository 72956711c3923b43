"""Run an exported graph with onnxruntime on what the PyTorch model sees, for parity checks."""
from typing import Union

import numpy as np
import torch
from torch import nn

from zoo.apis.inference import ImageType, build_image_loader


def graph_input(model: nn.Module, image: ImageType) -> np.ndarray:
    """``image`` through the model's test pipeline (resize, crop), as the graph takes it:
    ``(1, C, H, W)`` float32, RGB (the pipeline keeps OpenCV's BGR) 0-255."""
    pixels = build_image_loader(model.cfg)(image)['inputs']
    if pixels.shape[0] == 3:
        pixels = pixels.flip(0)
    return pixels.float()[None].numpy()


def run_onnx(onnx_file: str, inputs: np.ndarray) -> list:
    """onnxruntime's outputs (CPU) for the graph's single ``input``."""
    import onnxruntime as ort
    session = ort.InferenceSession(onnx_file, providers=['CPUExecutionProvider'])
    return session.run(None, {'input': np.ascontiguousarray(inputs, dtype=np.float32)})


def spread_logits(model: nn.Module,
                  image: ImageType,
                  std: float = 4.0,
                  seed: Union[int, None] = 0) -> None:
    """Scale the final classification layer of a randomly initialised ``model`` so that its
    logits on ``image`` have standard deviation ``std``: softmax scores then differ from
    uniform, and a parity check on them means something."""
    num_classes = model.head.num_classes
    linears = [
        m for m in model.head.modules()
        if isinstance(m, nn.Linear) and m.out_features == num_classes
    ]
    called = []
    hooks = [m.register_forward_hook(lambda m, i, o: called.append(m)) for m in linears]
    try:
        with torch.no_grad():
            x = torch.from_numpy(graph_input(model, image))
            logits = model(_normalise_like_preprocessor(model, x), mode='tensor')
    finally:
        for hook in hooks:
            hook.remove()
    final = called[-1]  # the auxiliary heads (GoogLeNet) do not run in eval mode
    with torch.no_grad():
        scale = std / float(logits.std())
        final.weight.mul_(scale)
        final.bias.mul_(scale)


def _normalise_like_preprocessor(model: nn.Module, rgb: torch.Tensor) -> torch.Tensor:
    from zoo.models.builder import input_channels
    from .onnx_export import Normalize
    return Normalize(model.data_preprocessor, input_channels(model))(rgb)
