"""jpeg_size, zoo's JPEG header walk, against Pillow's header and EXIF reading and OpenCV's
decoded size: EXIF orientations 1-8 in both byte orders, baseline and progressive, colour and
grayscale, other APP segments and fill bytes before the frame, and bytes that are not a
readable JPEG header (None, so that the full decode decides and names the file)."""
import io

import cv2
import numpy as np
import pytest
from PIL import Image

from zoo.datasets.transforms.loading import jpeg_size

ORIENTATION = 0x0112


def encoded(height=90, width=120, grayscale=False, **save_args) -> bytes:
    rng = np.random.default_rng(0)
    shape = (height, width) if grayscale else (height, width, 3)
    buffer = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8)).save(
        buffer, format='JPEG', **save_args)
    return buffer.getvalue()


def with_segment(jpeg: bytes, marker: int, payload: bytes) -> bytes:
    """The JPEG with one more segment right after its start-of-image marker."""
    segment = bytes([0xFF, marker]) + (len(payload) + 2).to_bytes(2, 'big') + payload
    return jpeg[:2] + segment + jpeg[2:]


def big_endian_exif(orientation: int) -> bytes:
    """An APP1 payload: a Motorola-order TIFF block with one IFD entry, the orientation."""
    entry = ORIENTATION.to_bytes(2, 'big') + (3).to_bytes(2, 'big') + (1).to_bytes(4, 'big')
    entry += orientation.to_bytes(2, 'big') + b'\x00\x00'
    ifd = (1).to_bytes(2, 'big') + entry + (0).to_bytes(4, 'big')
    return b'Exif\x00\x00' + b'MM\x00\x2a' + (8).to_bytes(4, 'big') + ifd


def pillow_size(img_bytes: bytes, apply_orientation: bool = True):
    with Image.open(io.BytesIO(img_bytes), formats=['JPEG']) as image:
        width, height = image.size
        if apply_orientation and image.getexif().get(ORIENTATION, 1) in (5, 6, 7, 8):
            height, width = width, height
    return height, width


def opencv_size(img_bytes: bytes, apply_orientation: bool = True):
    flag = cv2.IMREAD_COLOR
    if not apply_orientation:
        flag |= cv2.IMREAD_IGNORE_ORIENTATION
    return cv2.imdecode(np.frombuffer(img_bytes, np.uint8), flag).shape[:2]


def cases():
    for orientation in range(1, 9):
        exif = Image.Exif()
        exif[ORIENTATION] = orientation
        yield f'little-endian EXIF {orientation}', encoded(exif=exif)
        yield f'big-endian EXIF {orientation}', with_segment(encoded(), 0xE1,
                                                             big_endian_exif(orientation))
        yield f'progressive, EXIF {orientation}', encoded(exif=exif, progressive=True)
    yield 'grayscale', encoded(grayscale=True)
    yield 'odd size', encoded(height=37, width=411)
    rotated = Image.Exif()
    rotated[ORIENTATION] = 6
    # an XMP segment, then the Exif one: only an "Exif" APP1 is read
    xmp = with_segment(encoded(exif=rotated), 0xE1, b'http://ns.adobe.com/xap/1.0/\x00<x/>')
    yield 'XMP before EXIF', xmp
    yield 'fill bytes', xmp[:2] + b'\xff\xff' + xmp[2:]


@pytest.mark.parametrize('name,img_bytes', list(cases()), ids=[name for name, _ in cases()])
def test_as_pillow_reads_and_opencv_decodes(name, img_bytes):
    for apply_orientation in (True, False):
        size = jpeg_size(img_bytes, apply_orientation)
        assert size == pillow_size(img_bytes, apply_orientation), name
        assert size == opencv_size(img_bytes, apply_orientation), name


def test_sides_swap_for_orientations_5_to_8():
    for orientation in range(1, 9):
        exif = Image.Exif()
        exif[ORIENTATION] = orientation
        expected = (120, 90) if orientation >= 5 else (90, 120)
        assert jpeg_size(encoded(exif=exif)) == expected


def test_not_a_readable_header_is_none(tmp_path):
    jpeg = encoded()
    ok, png = cv2.imencode('.png', np.zeros((8, 8, 3), np.uint8))
    frame = jpeg.index(b'\xff\xc0')
    scan_first = jpeg[:frame] + b'\xff\xda\x00\x02' + jpeg[frame:]
    damaged = jpeg[:2] + b'\x00' + jpeg[3:]  # no 0xFF where the first marker should be
    for img_bytes in (b'', b'not an image', png.tobytes(), jpeg[:frame + 5], scan_first, damaged):
        assert jpeg_size(img_bytes) is None
    # an EXIF block that points past its end reads as no orientation
    broken_exif = b'Exif\x00\x00' + b'II\x2a\x00' + (4000).to_bytes(4, 'little')
    assert jpeg_size(with_segment(jpeg, 0xE1, broken_exif)) == (90, 120)
