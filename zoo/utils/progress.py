"""Progress bars for the long loops of the tools, on stderr (stdout stays the tools' output)."""
import sys
from typing import Iterable, Iterator, Optional, TypeVar

from mmengine.utils import ProgressBar

T = TypeVar('T')


def track(items: Iterable[T], total: Optional[int] = None, enabled: bool = True) -> Iterator[T]:
    """Yield ``items``, moving mmengine's ``ProgressBar`` on stderr after each.

    Args:
        items: What the loop goes over.
        total: How many there are (default: ``len(items)``; without either the bar counts
            without an end).
        enabled: ``False`` yields the items without a bar (the library default, so that only
            the command-line tools draw).
    """
    if not enabled:
        yield from items
        return
    if total is None:
        total = len(items) if hasattr(items, '__len__') else 0
    bar = ProgressBar(total, file=sys.stderr)
    try:
        for item in items:
            yield item
            bar.update()
    finally:
        sys.stderr.write('\n')
        sys.stderr.flush()
