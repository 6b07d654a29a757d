"""Restricted unpickling of CIFAR python-layout files: only what those files contain is admitted.

CIFAR pickles hold dicts, lists, bytes, str and int, plus numpy arrays rebuilt through a handful of numpy globals.
Any other global (``os.system``, ``builtins.eval``, ...) is refused before anything from the file runs.
"""
import pickle

from ats_ms.utils.errors import ForbiddenGlobal, UserError

ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"), ("_codecs", "encode"),
}


class RestrictedUnpickler(pickle.Unpickler):
    """Unpickler whose ``find_class`` admits only ``ALLOWED_GLOBALS``."""

    def find_class(self, module, name):
        if (module, name) in ALLOWED_GLOBALS:
            return super().find_class(module, name)
        raise ForbiddenGlobal(f"global {module}.{name} is not allowed in a CIFAR file")


def load_cifar_pickle(path):
    """Load one CIFAR python-layout file (latin1/bytes keys as the official files) without running its code.

    Raises:
        UserError: the file is refused (it imports something else), truncated or corrupt.
    """
    try:
        with open(path, "rb") as f:
            return RestrictedUnpickler(f, encoding="bytes").load()
    except ForbiddenGlobal as exc:
        raise UserError(f"data file {path} refused: {exc}; nothing from it was run; expected an official CIFAR "
                        f"python file")
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, IndexError, KeyError, AttributeError,
            OSError) as exc:
        raise UserError(f"data file {path} is truncated or corrupt ({type(exc).__name__}: {exc}); "
                        f"expected an official CIFAR python file (delete it and download again)")
