"""The transfer-learning example config, configs/resnet/resnet50_1xb32-ft_photos.py, trained end
to end by MMEngine's Runner: ImageNet weights (a torchvision-format checkpoint the test writes)
into a 5-class model, the backbone frozen for the first epochs, then trained at 0.1x the
head's learning rate."""
import math

import pytest
import torch
import torchvision
from mmengine.config import Config

from tests.conftest import REPO_ROOT, make_image_folder
from tests.engine.runner_utils import assert_same, changed, logged, state_dict, train

pytestmark = pytest.mark.slow

CONFIG = REPO_ROOT / 'configs' / 'resnet' / 'resnet50_1xb32-ft_photos.py'


def test_two_phase_fine_tuning_from_imagenet_weights(tmp_path):
    torch.manual_seed(0)
    imagenet = torchvision.models.resnet50(num_classes=1000).state_dict()
    torch.save(imagenet, tmp_path / 'resnet50_in1k.pth')  # as downloaded from torchvision

    cfg = Config.fromfile(CONFIG)
    frozen_epochs = cfg.frozen_epochs
    assert cfg.model.head.num_classes == 5 and frozen_epochs == 3
    work_dir = tmp_path / 'work'
    cfg.work_dir = str(work_dir)
    cfg.model.init_cfg.checkpoint = str(tmp_path / 'resnet50_in1k.pth')
    # small images and batches; everything else as shipped
    data_root = make_image_folder(tmp_path / 'photos', num_classes=5, per_class=4, size=32)
    for loader, pipeline in ((cfg.train_dataloader, [dict(type='RandomResizedCrop', scale=32)]),
                             (cfg.val_dataloader, [
                                 dict(type='ResizeEdge', scale=36, edge='short'),
                                 dict(type='CenterCrop', crop_size=32)
                             ])):
        loader.update(batch_size=4, num_workers=0)
        loader.dataset.data_root = str(data_root)
        loader.dataset.pipeline = [
            dict(type='LoadImageFromFile'), *pipeline,
            dict(type='PackClsInputs')
        ]
    cfg.train_cfg.max_epochs = frozen_epochs + 1
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint.update(max_keep_ckpts=-1, save_optimizer=False)
    cfg.log_level = 'WARNING'
    runner = train(cfg)

    # the ImageNet weights, under zoo's names, loaded exactly; the 1000-class head replaced
    backbone = {f'backbone.{k}': v for k, v in imagenet.items() if not k.startswith('fc.')}
    params = [k for k in backbone if k.endswith(('weight', 'bias'))]
    head = ['head.fc.weight', 'head.fc.bias']
    first = state_dict(work_dir / 'epoch_1.pth')
    assert first['head.fc.weight'].shape == (5, 2048)
    for epoch in range(1, frozen_epochs + 1):  # phase 1: backbone (and BN statistics) frozen
        weights = state_dict(work_dir / f'epoch_{epoch}.pth')
        assert_same(weights, backbone, backbone)
    assert changed(state_dict(work_dir / f'epoch_{frozen_epochs}.pth'), first, head) == head
    last = state_dict(work_dir / f'epoch_{frozen_epochs + 1}.pth')
    assert changed(last, backbone, params) == params  # phase 2: all train

    # phase 2's learning rates: the cosine (per epoch, from epoch 1 to 20, down to 1e-5) at
    # the end of epoch 4, applied to the head's 0.01 and to the backbone's 0.1 x 0.01
    cosine = (1 + math.cos(math.pi * frozen_epochs / 19)) / 2
    lrs = {g.get('lr_mult', 1.0): g['lr'] for g in runner.optim_wrapper.optimizer.param_groups}
    assert lrs == pytest.approx(
        {
            1.0: 1e-5 + (0.01 - 1e-5) * cosine,
            0.1: 1e-5 + (0.001 - 1e-5) * cosine
        }, rel=1e-9)

    # warm-up over the first epoch (4 iterations: 16 training images, batch 4)
    lrs = logged(work_dir, 'base_lr')
    assert lrs[0] == pytest.approx(0.1 * 0.01) and lrs[3] == pytest.approx(0.01)
    assert lrs[1] == pytest.approx(0.01 * (0.1 + 0.9 / 3))
