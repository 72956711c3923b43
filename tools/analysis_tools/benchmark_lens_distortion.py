"""Images/s of zoo's lens-distortion transforms beside albumentations' OpticalDistortion.

Both distort the same 640x480 photos-like images at comparable strength: albumentations'
``OpticalDistortion(distort_limit=a)`` draws ``k`` in ``[-a, a]`` and uses the camera matrix
``[[W, 0, W/2], [0, H, H/2]]`` with ``k1 = k2 = k``; zoo's ``RandomLensDistortion`` gets the
same matrix and ranges. Rounds alternate the two, so machine load hits both alike; the ratio
is printed with the min-max of the per-round ratios (and, from five rounds, its 95% bootstrap
interval), and a warning where the ratio is not resolved (:mod:`zoo.analysis.ratio_spread`)::

    python tools/analysis_tools/benchmark_lens_distortion.py --rounds 5 --images 50

Note the two differ in what they compute: albumentations renders with
``cv2.initUndistortRectifyMap`` (the map that *removes* a lens), while zoo's distortion
inverts the lens per pixel (``cv2.undistortPoints``), so that boxes, masks and the image move
alike (``cv2.projectPoints``). ``LensUndistort`` is timed too: it is the same map as
albumentations'.
"""
import argparse
import statistics
import time
from typing import Callable, Dict, List

import numpy as np

from zoo.analysis.ratio_spread import ratio_spread
from zoo.datasets.transforms import LensUndistort, RandomLensDistortion


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--height', type=int, default=480)
    parser.add_argument('--width', type=int, default=640)
    parser.add_argument('--limit', type=float, default=0.3, help='distort_limit / k range')
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--images', type=int, default=40, help='images per round and method')
    return parser.parse_args()


def images_per_second(fn: Callable[[np.ndarray], object], images: List[np.ndarray]) -> float:
    start = time.perf_counter()
    for img in images:
        fn(img)
    return len(images) / (time.perf_counter() - start)


def main() -> None:
    args = parse_args()
    import albumentations as A

    height, width, a = args.height, args.width, args.limit
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 256, (height, width, 3), dtype=np.uint8) for _ in range(args.images)]
    matrix = [[width, 0, width / 2], [0, height, height / 2], [0, 0, 1]]
    albu = A.OpticalDistortion(distort_limit=a, p=1.0)
    zoo_random = RandomLensDistortion(k1=(-a, a), k2=(-a, a), prob=1.0, camera_matrix=matrix)
    zoo_undistort = LensUndistort(dist_coeffs=(a, a, 0, 0, 0), camera_matrix=matrix)
    methods: Dict[str, Callable] = {
        'albumentations OpticalDistortion': lambda img: albu(image=img),
        'zoo RandomLensDistortion': lambda img: zoo_random(dict(img=img)),
        'zoo LensUndistort': lambda img: zoo_undistort(dict(img=img)),
    }
    for fn in methods.values():  # warm-up: imports, caches
        fn(images[0])
    rates: Dict[str, List[float]] = {name: [] for name in methods}
    for _ in range(args.rounds):
        for name, fn in methods.items():
            rates[name].append(images_per_second(fn, images))

    reference = 'albumentations OpticalDistortion'
    print(f'{width}x{height}, strength {a}, {args.rounds} rounds of {args.images} images')
    print(f'{"transform":<34}{"images/s":>10}{"/ albumentations":>18}{"round ratios":>20}')
    warnings = []  # printed below the table
    for name, values in rates.items():
        spread = ratio_spread(values, rates[reference])
        print(f'{name:<34}{statistics.median(values):>10.1f}{spread.ratio:>18.3f}'
              f'{spread.cell_text():>20}')
        warning = spread.warning(f'{name} / albumentations')
        if name != reference and warning:
            warnings.append(warning)
    for warning in warnings:
        print(warning)


if __name__ == '__main__':
    main()
