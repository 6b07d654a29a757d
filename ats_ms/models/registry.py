"""One registry for every network: ``register_model``, ``create_model``, ``list_models`` and name resolution.

Names are the official spellings (``ResNet110``, ``WRN28-8``, ``VGG8``, ``ResNeXt29-64-4d``, ``MobileNetV2``,
``ShuffleNetV1``; the ImageNet networks ``ResNet18``, ``ResNet34``, ``ResNet50``, ``MobileNetV2-ImageNet``); lookups
ignore case, ``-`` and ``_`` (``wrn_28_8`` and ``wrn28-8`` are ``WRN28-8``). Every network exists in the ``paper``
style (the official PyTorch code, torchvision's for the ImageNet networks); the CIFAR ResNet and VGG also in the
``demo`` style (the official MindSpore demo's layers and initialisers). Each network records the input size it was
designed for (``image_size_of``: 32 for the CIFAR networks, 224 for the ImageNet ones); all of them pool globally,
so they accept any input size.
"""
import importlib
import re
from collections import namedtuple

from ats_ms.utils.errors import UserError

_Entry = namedtuple("_Entry", "name builder styles image_size torch_twin")
_BUILDERS = {}
NET_STYLES = ("paper", "demo")


def _key(name):
    return str(name).strip().lower().replace("_", "").replace("-", "")


def register_model(name, builder, styles=("paper",), image_size=32, torch_twin=None):
    """Register ``builder(n_classes[, style]) -> nn.Cell`` under the canonical ``name``.

    ``styles`` lists the styles the builder knows; a builder of more than ``paper`` takes ``style`` as a keyword.
    ``image_size`` is the input side the network was designed for (32: CIFAR, 224: ImageNet). ``torch_twin`` (for
    ``bench --torch``): the network's PyTorch twin, a function of n_classes returning a ``torch.nn.Module``, or its
    import path ``"module:function"``, imported only when a twin is built (registering imports no torch;
    ``ats_ms.convert.twins.torch_twin`` builds it); anything else is a UserError. A user's network may be registered
    at any time (the built-in ones are registered first); a name registered twice is a UserError.
    """
    _ensure_loaded()
    if _key(name) in _BUILDERS:
        raise UserError(f"network {name} is registered twice; expected a new name")
    if not (torch_twin is None or callable(torch_twin) or (isinstance(torch_twin, str) and
                                                             re.fullmatch(r"[\w.]+:\w+", torch_twin))):
        raise UserError(f"network {name}'s torch_twin is {torch_twin!r}; expected a function of n_classes or its "
                        f"import path 'module:function'")
    _BUILDERS[_key(name)] = _Entry(name, builder, tuple(styles), int(image_size), torch_twin)


FAMILIES = ("resnet", "wrn", "vgg", "resnext", "mobilenetv2", "shufflenetv1", "imagenet_resnet",
            "imagenet_mobilenetv2")
_LOADED = []


def _ensure_loaded():
    """Register the built-in families once, before any user entry, whenever that comes."""
    if not _LOADED:
        _LOADED.append(True)
        for family in FAMILIES:
            importlib.import_module(f"ats_ms.models.{family}")


def list_models():
    """Canonical names of every registered network, in registration order."""
    _ensure_loaded()
    return [entry.name for entry in _BUILDERS.values()]


def resolve_name(name):
    """Canonical spelling of ``name`` (ignoring case, ``-`` and ``_``); raises UserError listing valid names."""
    return check_net_name("network name", name)


class _NetNameCheck:
    """The flag-table check of a network name: its canonical spelling, or UserError naming ``label``; ``expected``
    (the help text) lists the registered names."""

    def __call__(self, label, value):
        _ensure_loaded()
        key = _key(value)
        if key not in _BUILDERS:
            raise UserError(f"{label}={value!r} is unknown; expected one of: {', '.join(list_models())}")
        return _BUILDERS[key].name

    @property
    def expected(self):
        return f"one of {', '.join(list_models())}; case, - and _ are ignored"


check_net_name = _NetNameCheck()


def styles_of(name):
    """The styles network ``name`` is available in."""
    return _BUILDERS[_key(resolve_name(name))].styles


def style_label(name, style):
    """How printed lines (start-up, export) name the style of network ``name``: ``style`` itself, or ``registered`` for
    a user's network known in the default style only (``paper`` would claim the official codes' layers for it)."""
    entry = _BUILDERS[_key(resolve_name(name))]
    return style if builder_module(name).startswith("ats_ms.models.") or len(entry.styles) > 1 else "registered"


def builder_module(name):
    """The name of the module that defines network ``name``'s builder (a ``functools.partial``'s function's), e.g.
    ``ats_ms.models.resnet``, a user's module, or ``__main__``."""
    builder = _BUILDERS[_key(resolve_name(name))].builder
    return getattr(getattr(builder, "func", builder), "__module__", None) or ""


def registered_torch_twin(name):
    """The ``torch_twin`` given to ``register_model`` for network ``name`` (None: none given); resolved by
    ``ats_ms.convert.twins.torch_twin``."""
    return _BUILDERS[_key(resolve_name(name))].torch_twin


def image_size_of(name):
    """The input side (pixels) network ``name`` was designed for: 32 (CIFAR networks) or 224 (ImageNet networks)."""
    return _BUILDERS[_key(resolve_name(name))].image_size


def check_style(name, style, label="net_style"):
    """``style`` if network ``name`` exists in it (``label`` names the flag or argument in the message)."""
    from ats_ms.utils.checks import check_choice
    style = check_choice(label, style, NET_STYLES)
    if style not in styles_of(name):
        raise UserError(f"{label} {style} exists for the demo's ResNet and VGG only; expected {label} paper for "
                        f"{resolve_name(name)}")
    return style


def create_model(name, n_classes, checkpoint=None, style="paper"):
    """Build a registered network; it accepts inputs of any size (every network pools globally before its classifier).

    Args:
        name (str): network name (see ``list_models()``).
        n_classes (int): number of output classes, >= 1.
        checkpoint (str | dict | None): MindSpore checkpoint file (or parameter dict) loaded strictly.
        style (str): ``paper`` (the official PyTorch networks) or ``demo`` (the official MindSpore demo's ResNet
            and VGG: ``same`` padding, BatchNorm momentum 0.99, its initialisers, VGG convolutions without bias).

    Returns:
        nn.Cell mapping (N, 3, H, W) float32 to (N, n_classes) logits (H, W: ``image_size_of(name)`` as designed,
        any size from 16 up works); ``net.model_name`` holds its name and ``net.net_style`` its style.

    Raises:
        ValueError (UserError): unknown name or style, bad n_classes, or a checkpoint that does not match.
    """
    from ats_ms.utils.checks import CLASS_RANGE
    canonical = resolve_name(name)
    n_classes = CLASS_RANGE("n_classes", n_classes)
    entry = _BUILDERS[_key(canonical)]
    style = check_style(canonical, style, "style")
    net = entry.builder(n_classes, style=style) if len(entry.styles) > 1 else entry.builder(n_classes)
    net.model_name = canonical
    net.net_style = style
    if checkpoint is not None:
        from ats_ms.models.checkpoint import load_strict
        load_strict(net, checkpoint)
    return net
