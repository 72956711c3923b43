"""The classification path imports no mmdet and no compiled mmcv: it runs where mmcv's ops are
absent (mmcv-lite, the lent GPU machine). Everything that imports mmdet lives under ``zoo/det/``.
"""
import json
import textwrap

from tests.conftest import run_tool
from tests.test_configs import CONFIGS

# modules that only the detection path (zoo.det, mmdet's models) may bring in
FORBIDDEN = ('mmdet', 'mmcv.ops', 'mmcv._ext')


def test_classification_configs_build_without_mmdet_or_mmcv_ops(tmp_path):
    """A fresh interpreter registers every zoo module and builds the model of every
    classification config (on the meta device: shapes only), then lists what it imported."""
    assert len(CONFIGS) > 10, CONFIGS
    script = tmp_path / 'build_all.py'
    script.write_text(
        textwrap.dedent(f'''
        import json, sys
        import torch
        from mmengine.config import Config
        from zoo.models import build_model_from_cfg
        from zoo.utils import register_all_modules
        register_all_modules()
        for path in {json.dumps([str(p) for p in CONFIGS])}:
            cfg = Config.fromfile(path)
            cfg.model.backbone.pop('init_cfg', None)  # no pretrained files here
            with torch.device('meta'):
                build_model_from_cfg(cfg)
        print(json.dumps(sorted(sys.modules)))
    '''))
    modules = json.loads(run_tool(str(script)).stdout.splitlines()[-1])
    assert 'zoo.models.backbones.resnet' in modules  # the builds did import the families
    leaked = [
        name for name in modules
        if any(name == f or name.startswith(f + '.') or name.startswith(f + '_') for f in FORBIDDEN)
    ]
    assert not leaked, f'the classification path imported {leaked}'
