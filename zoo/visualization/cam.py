"""Grad-CAM for zoo's classifiers, through the ``pytorch_grad_cam`` package.

Grad-CAM weights a layer's feature maps by the gradient of the class score and needs the
layer's output as ``(N, C, H, W)``. CNN stages give that; the transformers need a reshape:

* ViT gives tokens ``(N, 1 + h * w, C)``: the class token is dropped and the patch tokens are
  laid out on their grid. The layer is the last block's first norm (``ln1``), as mmpretrain's
  ``vis_cam.py`` takes: after the last block only the class token reaches the head, so the
  patch tokens there get no gradient and the map would be empty.
* Swin gives ``(N, H, W, C)`` (channel-last): the last output norm's output is permuted.

The default method is Grad-CAM, except for ViT: there it is ``GradCAMElementWise``
(``relu(gradient * activation)`` summed over channels). Grad-CAM weights every channel by its
gradient averaged over the positions, which fits a score that reads every position alike (a
CNN's or Swin's global average pooling). A ViT's class token reads the patches through
attention: the gradient at the last block's ``ln1`` sits on the patches it attends to, and
averaged over all of them it no longer says where it looked. On trained ViTs (mmpretrain's
recipe gives the same maps, bit for bit) the weighted sum of the LayerNorm'd tokens is then
often negative at every patch, an empty map after Grad-CAM's ReLU, or highest on the
background; the element-wise product keeps the gradient where it is. A map that comes out
empty is warned about, with the remedies, never drawn silently.
"""
import warnings
from functools import partial
from typing import Callable, List, Optional, Tuple

import numpy as np
import torch
from torch import Tensor, nn


class ClassifierLogits(nn.Module):
    """An ``ImageClassifier`` as a plain module from normalised inputs to logits."""

    def __init__(self, classifier: nn.Module):
        super().__init__()
        self.classifier = classifier

    def forward(self, inputs: Tensor) -> Tensor:
        return self.classifier(inputs, mode='tensor')


def vit_tokens_to_map(tokens: Tensor, grid: Tuple[int, int], num_extra_tokens: int) -> Tensor:
    """``(N, extra + h * w, C)`` tokens -> ``(N, C, h, w)`` patch map."""
    patches = tokens[:, num_extra_tokens:]
    if patches.shape[1] != grid[0] * grid[1]:
        raise ValueError(f'{patches.shape[1]} patch tokens do not fill a {grid[0]}x{grid[1]} '
                         'patch grid')
    return patches.reshape(tokens.shape[0], *grid, -1).permute(0, 3, 1, 2)


def channel_last_to_map(x: Tensor) -> Tensor:
    """``(N, H, W, C)`` -> ``(N, C, H, W)``."""
    return x.permute(0, 3, 1, 2)


def default_target_layer(classifier: nn.Module,
                         inputs: Tensor) -> Tuple[str, Optional[Callable[[Tensor], Tensor]]]:
    """The layer Grad-CAM reads in ``classifier`` and the reshape its output needs.

    Args:
        classifier: A zoo ``ImageClassifier``.
        inputs: The normalised input ``(1, C, H, W)`` (a CNN's stage sizes depend on it).

    Returns:
        ``(module name, reshape or None)``: the last block's ``ln1`` of a ViT; the last
        output norm of a Swin; for a CNN, its last stage whose output is still a map larger
        than 1x1 (LeNet-5's last stage, say, is 1x1 and would explain nothing).
    """
    backbone = classifier.backbone
    kind = type(backbone).__name__
    if kind == 'VisionTransformer':
        grid = (inputs.shape[2] // backbone.patch_size, inputs.shape[3] // backbone.patch_size)
        return (f'backbone.layers.{len(backbone.layers) - 1}.ln1',
                partial(vit_tokens_to_map, grid=grid, num_extra_tokens=backbone.num_extra_tokens))
    if kind == 'SwinTransformer':
        return f'backbone.norm{backbone.out_indices[-1]}', channel_last_to_map

    sizes = {}

    def record(name: str):

        def hook(module, args, out) -> None:
            sizes[name] = tuple(out.shape) if isinstance(out, Tensor) else ()

        return hook

    handles = [
        getattr(backbone, name).register_forward_hook(record(name)) for name in backbone.stage_names
    ]
    try:
        with torch.no_grad():
            classifier.extract_feat(inputs)
    finally:
        for handle in handles:
            handle.remove()
    maps = [
        name for name in backbone.stage_names
        if len(sizes.get(name, ())) == 4 and sizes[name][2] * sizes[name][3] > 1
    ]
    if not maps:
        raise ValueError(f'{kind} has no stage with a feature map larger than 1x1 for a '
                         f'{tuple(inputs.shape[2:])} input: pass target_layers')
    return f'backbone.{stage_module_path(backbone, maps[-1])}', None


def stage_module_path(backbone: nn.Module, stage: str) -> str:
    """The registered module that ends ``stage``: the stage itself, or where the stage is a
    view of layers registered elsewhere (LeNet-5's and VGG's stages are views of mmpretrain's
    flat ``features``), the last of them: its output is the stage's output."""
    paths = {id(module): path for path, module in backbone.named_modules() if path}
    module = getattr(backbone, stage)
    while id(module) not in paths:
        children = list(module.children())
        if not children:
            raise ValueError(f'{type(backbone).__name__}: stage {stage} holds no registered '
                             'module to read')
        module = children[-1]
    return paths[id(module)]


def default_method(classifier: nn.Module) -> str:
    """``'GradCAMElementWise'`` for a ViT, ``'GradCAM'`` for the others (see above)."""
    kind = type(classifier.backbone).__name__
    return 'GradCAMElementWise' if kind == 'VisionTransformer' else 'GradCAM'


def grad_cam(classifier: nn.Module,
             inputs: Tensor,
             target_category: Optional[int] = None,
             target_layers: Optional[List[str]] = None,
             reshape_transform: Optional[Callable[[Tensor], Tensor]] = None,
             method: Optional[str] = None) -> Tuple[np.ndarray, int]:
    """The class activation map of one normalised input.

    Args:
        classifier: A zoo ``ImageClassifier``.
        inputs: ``(1, C, H, W)``, normalised as the model's data preprocessor gives it.
        target_category: The class whose score is explained (default: the predicted one).
        target_layers: Module names (default: :func:`default_target_layer`'s).
        reshape_transform: The reshape of those layers' outputs to ``(N, C, H, W)``
            (default: the one :func:`default_target_layer` gives for the model's kind).
        method: A CAM class of ``pytorch_grad_cam`` (``GradCAM``, ``GradCAMElementWise``,
            ``GradCAMPlusPlus``, ``XGradCAM``, ``EigenCAM``, ...; default:
            :func:`default_method`'s).

    Returns:
        ``(cam, category)``: the ``(H, W)`` map in ``[0, 1]`` and the class it explains.
    """
    import pytorch_grad_cam
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    if inputs.ndim != 4 or inputs.shape[0] != 1:
        raise ValueError(f'grad_cam takes one image (1, C, H, W), got {tuple(inputs.shape)}')
    classifier.eval()
    name, default_reshape = default_target_layer(classifier, inputs)
    target_layers = target_layers or [name]
    reshape_transform = reshape_transform or default_reshape
    modules = dict(classifier.named_modules())
    missing = [name for name in target_layers if name not in modules]
    if missing:
        raise KeyError(f'target layers {missing} are not modules of the model; e.g. '
                       f'{[n for n in modules if n.startswith("backbone.")][-5:]}')
    method = method or default_method(classifier)
    cam_class = getattr(pytorch_grad_cam, method, None)
    if cam_class is None:
        raise ValueError(f'pytorch_grad_cam has no CAM method {method!r}')

    model = ClassifierLogits(classifier).eval()
    if target_category is None:
        with torch.no_grad():
            target_category = int(model(inputs).argmax(dim=1))
    cam = cam_class(
        model=model,
        target_layers=[modules[name] for name in target_layers],
        reshape_transform=reshape_transform)
    with cam:
        heat = cam(input_tensor=inputs, targets=[ClassifierOutputTarget(target_category)])[0]
    if np.ptp(heat) < 1e-6:
        warnings.warn(
            f'{method} of class {target_category} at {target_layers} is empty: no position '
            'raises the class score there (after the ReLU). Try another layer '
            '(target_layers, e.g. an earlier block) or method (GradCAMElementWise, EigenCAM).')
    return heat, target_category
