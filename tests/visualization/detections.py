"""Detections with known faults for checks of the P-R pictures: a shapes val set's ground
truth, each box jittered, some given a wrong class, some missed, plus low-scored false
positives, in COCO's result format."""
import json
from pathlib import Path
from typing import List

import numpy as np


def imperfect_detections(ann_file: Path,
                         seed: int = 0,
                         wrong_class: float = 0.2,
                         missed: float = 0.1,
                         false_positives: int = 1) -> List[dict]:
    gt = json.loads(Path(ann_file).read_text())
    cat_ids = sorted(c['id'] for c in gt['categories'])
    sizes = {img['id']: (img['width'], img['height']) for img in gt['images']}
    rng = np.random.default_rng(seed)
    results = []
    for ann in gt['annotations']:
        if rng.random() < missed:
            continue
        x, y, w, h = ann['bbox']
        jitter = rng.normal(0, 0.06, 4) * [w, h, w, h]
        category = ann['category_id']
        score = float(rng.uniform(0.5, 1.0))
        if rng.random() < wrong_class:
            category = cat_ids[(cat_ids.index(category) + 1) % len(cat_ids)]
            score = float(rng.uniform(0.3, 0.9))
        results.append(
            dict(
                image_id=ann['image_id'],
                category_id=category,
                score=score,
                bbox=[float(v) for v in np.add([x, y, w, h], jitter)]))
    for img_id, (width, height) in sizes.items():
        for _ in range(false_positives):
            w, h = rng.uniform(0.1, 0.3, 2) * [width, height]
            results.append(
                dict(
                    image_id=img_id,
                    category_id=int(rng.choice(cat_ids)),
                    score=float(rng.uniform(0.05, 0.6)),
                    bbox=[
                        float(rng.uniform(0, width - w)),
                        float(rng.uniform(0, height - h)),
                        float(w),
                        float(h)
                    ]))
    return results
