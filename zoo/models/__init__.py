from .backbones import *  # noqa: F401,F403
from .builder import build_model_from_cfg, input_channels  # noqa: F401
from .classifiers import *  # noqa: F401,F403
from .data_preprocessors import *  # noqa: F401,F403
from .heads import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .necks import *  # noqa: F401,F403
from .peft import *  # noqa: F401,F403
from .utils import *  # noqa: F401,F403
