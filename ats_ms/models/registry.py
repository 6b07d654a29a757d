"""One registry for every network: ``register_model``, ``create_model``, ``list_models`` and name resolution.

Names are the official spellings (``ResNet110``, ``WRN28-8``, ``VGG8``, ``ResNeXt29-64-4d``, ``MobileNetV2``,
``ShuffleNetV1``); lookups ignore case, ``-`` and ``_`` (``wrn_28_8`` and ``wrn28-8`` are ``WRN28-8``).
"""
import importlib

from ats_ms.utils.errors import UserError

_BUILDERS = {}


def _key(name):
    return str(name).strip().lower().replace("_", "").replace("-", "")


def register_model(name, builder):
    """Register ``builder(n_classes) -> nn.Cell`` under the canonical ``name``."""
    if _key(name) in _BUILDERS:
        raise KeyError(f"model {name} registered twice")
    _BUILDERS[_key(name)] = (name, builder)


FAMILIES = ("resnet", "wrn", "vgg", "resnext", "mobilenetv2", "shufflenetv1")


def _ensure_loaded():
    if not _BUILDERS:
        for family in FAMILIES:
            importlib.import_module(f"ats_ms.models.{family}")


def list_models():
    """Canonical names of every registered network, in registration order."""
    _ensure_loaded()
    return [name for name, _ in _BUILDERS.values()]


def resolve_name(name):
    """Canonical spelling of ``name`` (ignoring case, ``-`` and ``_``); raises UserError listing valid names."""
    _ensure_loaded()
    key = _key(name)
    if key not in _BUILDERS:
        raise UserError(f"unknown network name {name!r}; expected one of: {', '.join(list_models())}")
    return _BUILDERS[key][0]


def create_model(name, n_classes, checkpoint=None):
    """Build a registered network for 32x32 inputs.

    Args:
        name (str): network name (see ``list_models()``).
        n_classes (int): number of output classes, >= 1.
        checkpoint (str | dict | None): MindSpore checkpoint file (or parameter dict) loaded strictly.

    Returns:
        nn.Cell mapping (N, 3, 32, 32) float32 to (N, n_classes) logits; ``net.model_name`` holds its name.

    Raises:
        ValueError (UserError): unknown name, bad n_classes, or a checkpoint that does not match.
    """
    canonical = resolve_name(name)
    if isinstance(n_classes, bool) or not isinstance(n_classes, int) or n_classes < 1:
        raise UserError(f"n_classes={n_classes!r} is invalid; expected an integer >= 1")
    net = _BUILDERS[_key(canonical)][1](n_classes)
    net.model_name = canonical
    if checkpoint is not None:
        from ats_ms.models.checkpoint import load_strict
        load_strict(net, checkpoint)
    return net
