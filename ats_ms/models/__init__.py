"""The paper's 32x32 backbones behind one registry: ``create_model(name, n_classes, checkpoint=None)``."""
from ats_ms.models.registry import create_model, list_models, resolve_name

__all__ = ["create_model", "list_models", "resolve_name"]
