"""File helpers of the detection formats: image sizes, class-name files, copies, atomic output."""
import os
import os.path as osp
import shutil
from typing import List, Sequence, Tuple

from PIL import Image

from zoo.utils.atomic import atomic_output_dir  # noqa: F401 (re-exported)
from .annotations import InvalidAnnotationError

# EXIF orientations that turn the stored image by 90 or 270 degrees (5..8): the decoded image,
# as mmcv's loader returns it, then has width and height swapped.
_TRANSPOSING_ORIENTATIONS = (5, 6, 7, 8)
_EXIF_ORIENTATION = 0x0112


def image_size(path: str) -> Tuple[int, int]:
    """``(width, height)`` of an image as mmcv decodes it, read from the file header only.

    PIL reads the header without decoding the pixels, so this is cheap even for large
    images. The EXIF orientation is applied, as ``mmcv.imfrombytes`` (OpenCV) applies it
    when it decodes the image, and as YOLO annotation tools normalise against.

    Raises:
        FileNotFoundError: if ``path`` does not exist.
        OSError: if the file is not an image PIL can identify.
    """
    with Image.open(path) as image:
        width, height = image.size
        orientation = image.getexif().get(_EXIF_ORIENTATION, 1)
    if orientation in _TRANSPOSING_ORIENTATIONS:
        width, height = height, width
    return int(width), int(height)


def read_class_names(path: str) -> Tuple[str, ...]:
    """Class names, one a line (blank lines and surrounding spaces ignored)."""
    with open(path, encoding='utf-8') as f:
        names = tuple(line.strip() for line in f if line.strip())
    if not names:
        raise InvalidAnnotationError(f'{path} names no classes')
    if len(set(names)) != len(names):
        raise InvalidAnnotationError(f'{path} repeats class names: {list(names)}')
    return names


def write_class_names(classes: Sequence[str], path: str) -> None:
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    with open(path, 'w', encoding='utf-8') as f:
        f.write(''.join(f'{name}\n' for name in classes))


def link_or_copy(src: str, dst: str) -> None:
    """Put the file ``src`` at ``dst``: a hard link where the file system allows, else a copy.

    Data set conversions duplicate every image into the target layout; a hard link costs no
    space and no time, and the images are read-only data.
    """
    os.makedirs(osp.dirname(dst), exist_ok=True)
    if osp.abspath(src) == osp.abspath(dst):
        return
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


def list_files(folder: str) -> List[str]:
    """Every file under ``folder``, as sorted ``/``-separated paths relative to it."""
    found = []
    for root, _, names in os.walk(folder):
        found.extend(osp.relpath(osp.join(root, n), folder).replace(os.sep, '/') for n in names)
    return sorted(found)
