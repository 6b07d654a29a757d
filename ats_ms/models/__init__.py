"""The paper's 32x32 backbones behind one registry: ``create_model(name, n_classes, checkpoint=None, style="paper")``.
"""
from ats_ms.models.registry import NET_STYLES, create_model, list_models, resolve_name

__all__ = ["create_model", "list_models", "resolve_name", "NET_STYLES"]
