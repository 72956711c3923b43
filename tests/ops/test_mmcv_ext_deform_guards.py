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
