import os
import os.path as osp
from typing import Tuple

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


def create_figure(size: Tuple[float, float], dpi: int = 100) -> Figure:
    """A figure of ``size`` inches outside pyplot's state (no window, no global figure list),
    so tools and tests can make many without leaking; its PNG is ``size * dpi`` pixels."""
    figure = Figure(figsize=size, dpi=dpi)
    FigureCanvasAgg(figure)
    return figure


def save_png(figure: Figure, out_file: str) -> str:
    """Write ``figure`` as a PNG of exactly its size in pixels (no tight cropping), creating
    the folder; the file appears complete or not at all."""
    if not out_file.lower().endswith('.png'):
        raise ValueError(f'the picture must be a .png file, got {out_file}')
    folder = osp.dirname(osp.abspath(out_file))
    os.makedirs(folder, exist_ok=True)
    partial = out_file + '.partial'
    figure.savefig(partial, format='png', dpi=figure.dpi)
    os.replace(partial, out_file)
    return out_file
