"""zoo.mmcv_ext's DCN guards what torchvision's kernel does not: a NaN or infinite offset
(random weights give them; mmcv's kernel then samples 0, torchvision's reads out of bounds and
kills the process) and an offset that does not cover the output (mmcv's shape_check raises)."""
import subprocess
import sys
import textwrap

import pytest
import torch

import zoo  # noqa: F401  (the mmcv._ext fallback)
from zoo.mmcv_ext.deform_conv import _forward


def test_non_finite_offsets_sample_zero_in_a_fresh_process():
    """Run where a segmentation fault cannot take the test session down with it."""
    code = textwrap.dedent('''
        import torch
        import torchvision  # noqa: F401  (registers torchvision's ops)
        from zoo.mmcv_ext.deform_conv import _forward
        torch.manual_seed(0)
        x, w = torch.randn(1, 4, 6, 6), torch.randn(5, 4, 3, 3)
        offset = torch.randn(1, 18, 6, 6)
        far = offset.clone()
        for bad in (float('nan'), float('inf'), -float('inf')):
            offset[0, :2, 2, 3] = bad
            far[0, :2, 2, 3] = -1000.  # the same tap, far outside the image: it samples 0
            args = ((1, 1), (1, 1), (1, 1))
            out = _forward(x, w, offset, None, None, *args)
            assert torch.equal(out, _forward(x, w, far, None, None, *args)), bad
            assert out.isfinite().all()
        print('ok')
    ''')
    result = subprocess.run([sys.executable, '-c', code],
                            capture_output=True,
                            text=True,
                            timeout=300)
    assert result.returncode == 0 and result.stdout.strip() == 'ok', result.stderr[-2000:]


@pytest.mark.parametrize('offset_shape, message', [
    ((1, 18, 5, 6), r'offset \(1, 18, 5, 6\), expected \(1, 2 x 9 x deform_groups, 6, 6\)'),
    ((1, 17, 6, 6), r'offset \(1, 17, 6, 6\)'),
    ((2, 18, 6, 6), r'offset \(2, 18, 6, 6\)'),
])
def test_offset_that_does_not_cover_the_output_is_refused(offset_shape, message):
    x, w = torch.randn(1, 4, 6, 6), torch.randn(5, 4, 3, 3)
    with pytest.raises(ValueError, match=message):
        _forward(x, w, torch.zeros(offset_shape), None, None, (1, 1), (1, 1), (1, 1))


def test_modulated_offsets_of_a_larger_map_are_read_from_their_start_as_mmcv_reads_them():
    """mmcv's modulated kernels check no offset shape: they read each sample's offset and mask
    buffers from their start in the output's layout. mmdet's DyHead relies on it (the offsets
    of one level for the convolution of the next, smaller level), through mmcv.ops."""
    from mmcv.ops import ModulatedDeformConv2d
    torch.manual_seed(0)
    conv = ModulatedDeformConv2d(4, 5, 3, padding=1)
    x = torch.randn(2, 4, 4, 4, requires_grad=True)
    offset = torch.randn(2, 18, 8, 8, requires_grad=True)  # made for an 8 x 8 map
    mask = torch.rand(2, 9, 8, 8, requires_grad=True)
    out = conv(x, offset, mask)
    assert out.shape == (2, 5, 4, 4)
    read_offset = offset.detach().reshape(2, -1)[:, :18 * 16].reshape(2, 18, 4, 4)
    read_mask = mask.detach().reshape(2, -1)[:, :9 * 16].reshape(2, 9, 4, 4)
    read_offset.requires_grad_(), read_mask.requires_grad_()
    expected = conv(x, read_offset, read_mask)
    torch.testing.assert_close(out, expected, rtol=0, atol=0)
    out.sum().backward()
    expected.sum().backward()
    # the gradient lands where the kernel read, zero elsewhere
    assert torch.equal(offset.grad.reshape(2, -1)[:, :18 * 16], read_offset.grad.reshape(2, -1))
    assert not offset.grad.reshape(2, -1)[:, 18 * 16:].any()
    assert torch.equal(mask.grad.reshape(2, -1)[:, :9 * 16], read_mask.grad.reshape(2, -1))
    with pytest.raises(
            ValueError, match=r'offset \(2, 18, 3, 3\) holds fewer than the 18 x 4 x '
            r'4 values'):
        conv(x, torch.zeros(2, 18, 3, 3), torch.zeros(2, 9, 3, 3))


def test_mmdets_dyhead_runs_on_zoos_kernels():
    import mmdet.models  # noqa: F401
    from mmdet.models.necks import DyHead
    torch.manual_seed(0)
    head = DyHead(in_channels=16, out_channels=16, num_blocks=1).eval()
    feats = tuple(torch.randn(1, 16, size, size) for size in (16, 8, 4))
    with torch.no_grad():
        outs = head(feats)
    assert [tuple(o.shape) for o in outs] == [(1, 16, 16, 16), (1, 16, 8, 8), (1, 16, 4, 4)]
    assert all(o.isfinite().all() for o in outs)
