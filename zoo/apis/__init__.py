"""From a name or a checkpoint to a prediction: mmpretrain's model hub and inference API."""
from .inference import (ImageClassificationInferencer, get_test_image_size, get_test_pipeline,
                        inference_model)
from .model import (ModelInfo, get_model, get_model_info, init_model, list_models, load_config,
                    load_weights)

__all__ = [
    'ModelInfo', 'list_models', 'get_model', 'get_model_info', 'init_model', 'load_config',
    'load_weights', 'inference_model', 'ImageClassificationInferencer', 'get_test_image_size',
    'get_test_pipeline'
]
