"""Every network behind one registry: ``create_model(name, n_classes, checkpoint=None, style="paper")``: the paper's
CIFAR backbones (32x32 in the paper; global pooling, so any input size) and torchvision's ImageNet networks.
"""
from ats_ms.models.registry import NET_STYLES, create_model, list_models, resolve_name

__all__ = ["create_model", "list_models", "resolve_name", "NET_STYLES"]
