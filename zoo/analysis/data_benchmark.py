"""Images/s of the classification training pipeline on JPEG photos: zoo's, as a config builds it,
beside torchvision's PIL and v2 tensor pipelines and decoding alone, in alternating rounds.

The pipelines, each from the file's path to a training sample:

- ``decode only``: ``cv2.imread``, the floor every pipeline pays;
- ``zoo config``: the config's ``train_pipeline`` (``LoadImageFromFile``, ``RandomResizedCrop``,
  ``RandomFlip``, ``PackInputs``), built by zoo's ``TRANSFORMS``;
- ``zoo DecodeRandomResizedCrop``: the same with its first two steps fused into
  :class:`~zoo.datasets.transforms.DecodeRandomResizedCrop`, which decodes a JPEG at reduced size
  where the crop is downscaled that much anyway;
- ``torchvision PIL``: ImageFolder's loader (PIL, RGB), ``RandomResizedCrop``,
  ``RandomHorizontalFlip``, ``ToTensor``;
- ``torchvision v2``: ``decode_image`` to a uint8 tensor, then transforms v2's
  ``RandomResizedCrop`` and ``RandomHorizontalFlip``.

Without a data root, ``num_images`` photo-like JPEGs (smooth random fields, gradients and fine
noise, quality 90) are written to a temporary folder in the ImageFolder layout. Each round
runs every pipeline over all images, in the same order, in one process with ``threads``
threads (the figure of one core at 1) or through a DataLoader with ``workers`` processes;
ratios are to decode-only, with the min-max of the per-round ratios.
"""
import copy
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import init_default_scope
from mmengine.utils import ProgressBar
from torch.utils.data import DataLoader, Dataset

from zoo.registry import TRANSFORMS
from .ratio_spread import RatioSpread, ratio_spread

IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png')
DECODE_ONLY = 'decode only (cv2.imread)'


@dataclass
class DataBenchSettings:
    data_root: Optional[str] = None  # a folder of images (any depth); None: generate them
    num_images: int = 200  # generated, or the first ones of data_root
    image_size: Tuple[int, int] = (500, 375)  # (width, height) of the generated photos
    rounds: int = 5
    workers: int = 0  # 0: in this process
    batch_size: int = 32  # of the DataLoader, where workers > 0
    threads: int = 1  # torch and OpenCV threads of this process


def photo_like(width: int, height: int, rng: np.random.Generator) -> np.ndarray:
    """A BGR image with a photo's mix of content: smooth regions, gradients and fine texture."""
    coarse = rng.integers(0, 256, (6, 8, 3)).astype(np.float32)
    medium = rng.normal(0, 20, (height // 16, width // 16, 3)).astype(np.float32)
    img = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC)
    img += cv2.resize(medium, (width, height), interpolation=cv2.INTER_CUBIC)
    img += np.linspace(-30, 30, width, dtype=np.float32)[None, :, None]
    img += rng.normal(0, 6, img.shape).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)


def write_photos(folder: str, num_images: int, size: Tuple[int, int], seed: int = 0) -> List[str]:
    """``num_images`` JPEGs of ``size`` (width, height) in ``folder/<class>/``, 2 classes."""
    rng = np.random.default_rng(seed)
    paths = []
    for index in range(num_images):
        class_dir = os.path.join(folder, f'class_{index % 2}')
        os.makedirs(class_dir, exist_ok=True)
        ok, encoded = cv2.imencode('.jpg', photo_like(*size, rng), [cv2.IMWRITE_JPEG_QUALITY, 90])
        if not ok:
            raise RuntimeError('cv2.imencode failed to write a JPEG')
        paths.append(os.path.join(class_dir, f'{index:05d}.jpg'))
        with open(paths[-1], 'wb') as file:
            file.write(encoded.tobytes())
    return paths


def list_images(root: str, limit: int) -> List[str]:
    """The first ``limit`` images under ``root`` (sorted, any depth)."""
    if not os.path.isdir(root):
        raise FileNotFoundError(f'benchmark_data: --data-root {root} is not a folder')
    paths = sorted(
        os.path.join(folder, name) for folder, _, names in os.walk(root) for name in names
        if name.lower().endswith(IMAGE_SUFFIXES))
    if not paths:
        raise FileNotFoundError(f'benchmark_data: no {"/".join(IMAGE_SUFFIXES)} images under '
                                f'{root}')
    return paths[:limit]


def train_pipeline(cfg: Config) -> List[dict]:
    pipeline = cfg.get('train_dataloader', {}).get('dataset', {}).get('pipeline')
    if not pipeline:
        raise ValueError(f'{cfg.filename}: train_dataloader.dataset.pipeline is missing')
    return copy.deepcopy(list(pipeline))


def _kind(step: dict) -> str:
    kind = step['type']
    return (kind if isinstance(kind, str) else kind.__name__).split('.')[-1]


def crop_step(pipeline: Sequence[dict]) -> dict:
    """The pipeline's ``RandomResizedCrop`` step."""
    for step in pipeline:
        if _kind(step) == 'RandomResizedCrop':
            return step
    raise ValueError('benchmark_data: the training pipeline has no RandomResizedCrop: '
                     f'{[_kind(step) for step in pipeline]}')


def with_fused_decode(pipeline: Sequence[dict]) -> List[dict]:
    """``pipeline`` with ``LoadImageFromFile`` followed by ``RandomResizedCrop`` replaced by one
    ``DecodeRandomResizedCrop`` taking both steps' arguments."""
    kinds = [_kind(step) for step in pipeline]
    for i in range(len(pipeline) - 1):
        if kinds[i:i + 2] == ['LoadImageFromFile', 'RandomResizedCrop']:
            load = {k: v for k, v in pipeline[i].items() if k != 'type'}
            if load.pop('imdecode_backend', 'cv2') != 'cv2':
                raise ValueError('benchmark_data: DecodeRandomResizedCrop decodes with OpenCV; '
                                 f'the config asks for {pipeline[i]["imdecode_backend"]!r}')
            crop = {k: v for k, v in pipeline[i + 1].items() if k != 'type'}
            fused = dict(type='DecodeRandomResizedCrop', **crop, **load)
            return list(pipeline[:i]) + [fused] + list(pipeline[i + 2:])
    raise ValueError('benchmark_data: the training pipeline does not start with '
                     f'LoadImageFromFile, RandomResizedCrop: {kinds}')


def _scale(crop: dict) -> Tuple[int, int]:
    scale = crop.get('scale', crop.get('size'))
    return (scale, scale) if isinstance(scale, int) else tuple(scale)


class ZooPipeline:
    """A zoo pipeline (list of step configs) as a path -> sample callable."""

    def __init__(self, pipeline: Sequence[dict]):
        init_default_scope('zoo')
        self.pipeline = Compose([TRANSFORMS.build(step) for step in pipeline])

    def __call__(self, path: str):
        return self.pipeline(dict(img_path=path, gt_label=0))


class DecodeOnly:

    def __call__(self, path: str) -> np.ndarray:
        img = cv2.imread(path, cv2.IMREAD_COLOR)
        if img is None:
            raise OSError(f'cv2.imread cannot decode {path}')
        return img


class TorchvisionPIL:
    """ImageFolder's PIL loader and the classic transforms (float tensor out)."""

    def __init__(self, crop: dict):
        from torchvision import transforms
        from torchvision.datasets.folder import pil_loader
        self.loader = pil_loader
        self.transform = transforms.Compose([
            transforms.RandomResizedCrop(
                _scale(crop),
                scale=tuple(crop.get('crop_ratio_range', (0.08, 1.0))),
                ratio=tuple(crop.get('aspect_ratio_range', (3 / 4, 4 / 3)))),
            transforms.RandomHorizontalFlip(),
            transforms.ToTensor()
        ])

    def __call__(self, path: str) -> torch.Tensor:
        return self.transform(self.loader(path))


class TorchvisionV2:
    """``torchvision.io`` decoding to a uint8 tensor and transforms v2 (uint8 tensor out)."""

    def __init__(self, crop: dict):
        from torchvision.transforms import v2
        self.transform = v2.Compose([
            v2.RandomResizedCrop(
                _scale(crop),
                scale=tuple(crop.get('crop_ratio_range', (0.08, 1.0))),
                ratio=tuple(crop.get('aspect_ratio_range', (3 / 4, 4 / 3))),
                antialias=True),
            v2.RandomHorizontalFlip()
        ])

    def __call__(self, path: str) -> torch.Tensor:
        from torchvision.io import ImageReadMode, decode_image, read_file
        return self.transform(decode_image(read_file(path), mode=ImageReadMode.RGB))


def pipelines(cfg: Config) -> Dict[str, Callable[[str], object]]:
    """The pipelines timed, decode-only first."""
    pipeline = train_pipeline(cfg)
    crop = crop_step(pipeline)
    return {
        DECODE_ONLY: DecodeOnly(),
        'zoo config': ZooPipeline(pipeline),
        'zoo DecodeRandomResizedCrop': ZooPipeline(with_fused_decode(pipeline)),
        'torchvision PIL': TorchvisionPIL(crop),
        'torchvision v2': TorchvisionV2(crop),
    }


def reduced_share(cfg: Config, paths: Sequence[str], seed: int = 0) -> float:
    """The share of crops (one draw per image) that DecodeRandomResizedCrop decodes reduced."""
    from zoo.datasets.transforms import DecodeRandomResizedCrop
    from zoo.datasets.transforms.loading import jpeg_size
    fused = with_fused_decode(train_pipeline(cfg))
    step = next(s for s in fused if s['type'] == 'DecodeRandomResizedCrop')
    crop = DecodeRandomResizedCrop(**{k: v for k, v in step.items() if k != 'type'})
    state = np.random.get_state()
    np.random.seed(seed)
    reduced = 0
    for path in paths:
        with open(path, 'rb') as file:
            size = jpeg_size(file.read())
        if size is not None:
            reduced += crop.reduction(*crop.crop_params_for_size(*size)[2:]) > 1
    np.random.set_state(state)
    return reduced / len(paths)


class PathDataset(Dataset):

    def __init__(self, paths: Sequence[str], fn: Callable[[str], object]):
        self.paths, self.fn = list(paths), fn

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int):
        return self.fn(self.paths[index])


def keep_list(batch: list) -> list:
    """No collation: the pipelines' outputs differ in type, and collating is not theirs."""
    return batch


class RoundRunner:
    """One pipeline, run over all images a round, in this process or through a DataLoader."""

    def __init__(self, fn: Callable[[str], object], paths: Sequence[str],
                 settings: DataBenchSettings):
        self.fn, self.paths = fn, list(paths)
        self.loader = None
        if settings.workers > 0:
            self.loader = DataLoader(
                PathDataset(paths, fn),
                batch_size=settings.batch_size,
                num_workers=settings.workers,
                persistent_workers=True,
                collate_fn=keep_list)

    def round(self) -> float:
        """Images/s of one pass over all images."""
        start = time.perf_counter()
        if self.loader is None:
            for path in self.paths:
                self.fn(path)
        else:
            for _ in self.loader:
                pass
        return len(self.paths) / (time.perf_counter() - start)


@dataclass
class DataBenchResult:
    rates: Dict[str, List[float]]  # images/s per round, per pipeline
    num_images: int
    description: str  # where the images come from
    reduced_share: float

    def spread(self, name: str) -> RatioSpread:
        return ratio_spread(self.rates[name], self.rates[DECODE_ONLY])


def run_data_bench(cfg: Config, settings: DataBenchSettings, progress: bool = False):
    """Time every pipeline in ``settings.rounds`` alternating rounds."""
    with tempfile.TemporaryDirectory(prefix='benchmark_data_') as folder:
        if settings.data_root is None:
            paths = write_photos(folder, settings.num_images, settings.image_size)
            width, height = settings.image_size
            description = f'{len(paths)} generated {width}x{height} JPEGs (quality 90)'
        else:
            paths = list_images(settings.data_root, settings.num_images)
            description = f'{len(paths)} images from {settings.data_root}'
        threads = torch.get_num_threads(), cv2.getNumThreads()
        torch.set_num_threads(settings.threads)
        cv2.setNumThreads(settings.threads)
        try:
            runners = {
                name: RoundRunner(fn, paths, settings)
                for name, fn in pipelines(cfg).items()
            }
            for runner in runners.values():  # warm-up: imports, caches, the workers' start,
                runner.fn(paths[0])  # and the check that every pipeline reads these files
                if runner.loader is not None:
                    runner.round()
            rates: Dict[str, List[float]] = {name: [] for name in runners}
            bar = ProgressBar(settings.rounds * len(runners), file=sys.stderr) if progress else None
            for _ in range(settings.rounds):
                for name, runner in runners.items():
                    rates[name].append(runner.round())
                    if bar is not None:
                        bar.update()
            if bar is not None:
                sys.stderr.write('\n')
        finally:
            torch.set_num_threads(threads[0])
            cv2.setNumThreads(threads[1])
        return DataBenchResult(rates, len(paths), description, reduced_share(cfg, paths))


def format_result(result: DataBenchResult, settings: DataBenchSettings) -> str:
    where = (f'{settings.workers} DataLoader workers, batch {settings.batch_size}'
             if settings.workers else f'one process, {settings.threads} thread(s)')
    lines = [
        f'{result.description}; {where}; median of {settings.rounds} rounds',
        '| pipeline | images/s | / decode only | rounds min-max (; 95% bootstrap) |',
        '| --- | --- | --- | --- |'
    ]
    warnings = []
    for name, rates in result.rates.items():
        spread = result.spread(name)
        lines.append(f'| {name} | {statistics.median(rates):.1f} | {spread.ratio:.3f} | '
                     f'{spread.cell_text()} |')
        if name != DECODE_ONLY:
            warnings.append(spread.warning(f'{name} / decode only'))
    lines.append(f'DecodeRandomResizedCrop decodes {100 * result.reduced_share:.0f}% of the crops '
                 'at reduced size')
    return '\n'.join(lines + [w for w in warnings if w])
