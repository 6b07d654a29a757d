"""One registry for every network: ``register_model``, ``create_model``, ``list_models`` and name resolution.

Names are the official spellings (``ResNet110``, ``WRN28-8``, ``VGG8``, ``ResNeXt29-64-4d``, ``MobileNetV2``,
``ShuffleNetV1``); lookups ignore case, ``-`` and ``_`` (``wrn_28_8`` and ``wrn28-8`` are ``WRN28-8``). Every network
exists in the ``paper`` style (the official PyTorch code); ResNet and VGG also in the ``demo`` style (the official
MindSpore demo's layers and initialisers).
"""
import importlib

from ats_ms.utils.errors import UserError

_BUILDERS = {}
NET_STYLES = ("paper", "demo")


def _key(name):
    return str(name).strip().lower().replace("_", "").replace("-", "")


def register_model(name, builder, styles=("paper",)):
    """Register ``builder(n_classes[, style]) -> nn.Cell`` under the canonical ``name``.

    ``styles`` lists the styles the builder knows; a builder of more than ``paper`` takes ``style`` as a keyword.
    """
    if _key(name) in _BUILDERS:
        raise KeyError(f"model {name} registered twice")
    _BUILDERS[_key(name)] = (name, builder, tuple(styles))


FAMILIES = ("resnet", "wrn", "vgg", "resnext", "mobilenetv2", "shufflenetv1")


def _ensure_loaded():
    if not _BUILDERS:
        for family in FAMILIES:
            importlib.import_module(f"ats_ms.models.{family}")


def list_models():
    """Canonical names of every registered network, in registration order."""
    _ensure_loaded()
    return [entry[0] for entry in _BUILDERS.values()]


def resolve_name(name):
    """Canonical spelling of ``name`` (ignoring case, ``-`` and ``_``); raises UserError listing valid names."""
    return check_net_name("network name", name)


def check_net_name(label, value):
    """The flag-table check of a network name: its canonical spelling, or UserError naming ``label``."""
    _ensure_loaded()
    key = _key(value)
    if key not in _BUILDERS:
        raise UserError(f"{label}={value!r} is unknown; expected one of: {', '.join(list_models())}")
    return _BUILDERS[key][0]


def styles_of(name):
    """The styles network ``name`` is available in."""
    return _BUILDERS[_key(resolve_name(name))][2]


def create_model(name, n_classes, checkpoint=None, style="paper"):
    """Build a registered network for 32x32 inputs.

    Args:
        name (str): network name (see ``list_models()``).
        n_classes (int): number of output classes, >= 1.
        checkpoint (str | dict | None): MindSpore checkpoint file (or parameter dict) loaded strictly.
        style (str): ``paper`` (the official PyTorch networks) or ``demo`` (the official MindSpore demo's ResNet
            and VGG: ``same`` padding, BatchNorm momentum 0.99, its initialisers, VGG convolutions without bias).

    Returns:
        nn.Cell mapping (N, 3, 32, 32) float32 to (N, n_classes) logits; ``net.model_name`` holds its name and
        ``net.net_style`` its style.

    Raises:
        ValueError (UserError): unknown name or style, bad n_classes, or a checkpoint that does not match.
    """
    canonical = resolve_name(name)
    if isinstance(n_classes, bool) or not isinstance(n_classes, int) or n_classes < 1:
        raise UserError(f"n_classes={n_classes!r} is invalid; expected an integer >= 1")
    _, builder, styles = _BUILDERS[_key(canonical)]
    if style not in NET_STYLES:
        raise UserError(f"style={style!r} is unknown; expected one of {', '.join(NET_STYLES)}")
    if style not in styles:
        raise UserError(f"net_style {style} exists for the demo's ResNet and VGG only; expected net_style paper for "
                        f"{canonical}")
    net = builder(n_classes, style=style) if len(styles) > 1 else builder(n_classes)
    net.model_name = canonical
    net.net_style = style
    if checkpoint is not None:
        from ats_ms.models.checkpoint import load_strict
        load_strict(net, checkpoint)
    return net
