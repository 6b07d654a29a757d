"""Which PyTorch twin builds network X for ``bench --torch``: the one its ``register_model(torch_twin=...)`` names (a
user's network), else the built-in CIFAR networks' (``ats_ms.convert.torch_twins``, which imports torch)."""
from ats_ms.convert.torch_import import TORCH_HINT
from ats_ms.models.registry import list_models, registered_torch_twin, resolve_name
from ats_ms.utils.errors import UserError
from ats_ms.utils.refs import resolve


def torch_twin(name):
    """The PyTorch twin builder (n_classes -> ``torch.nn.Module``) of network ``name`` (any spelling the registry
    takes).

    Raises:
        UserError: PyTorch is not installed, the network has no twin, or its ``torch_twin`` does not import.
    """
    canonical = resolve_name(name)
    try:
        from ats_ms.convert.torch_twins import TWINS
    except ImportError:
        raise UserError(f"a PyTorch twin needs PyTorch, which is not installed; {TORCH_HINT}")
    given = registered_torch_twin(canonical)
    if given is not None:
        try:
            return resolve(given)
        except (ImportError, AttributeError) as exc:
            raise UserError(f"network {canonical}'s torch_twin {given!r} does not import ({type(exc).__name__}: "
                            f"{exc}); expected 'module:function' naming a function of n_classes")
    if canonical not in TWINS:
        having = [n for n in list_models() if n in TWINS or registered_torch_twin(n) is not None]
        raise UserError(f"network {canonical} has no PyTorch twin; expected one of {', '.join(having)} (a user's "
                        f"network: register_model(..., torch_twin='module:function'))")
    return TWINS[canonical]
