"""PyTorch state_dict -> MindSpore checkpoint of the same registry network.

The networks mirror the reference's state_dict names, so the only renaming is BatchNorm's: weight -> gamma,
bias -> beta, running_mean -> moving_mean, running_var -> moving_variance (num_batches_tracked is dropped). Files are
read with ``torch.load(weights_only=True)``, which never executes code from the file. torch is optional.
"""
import os

import numpy as np

from ats_ms.utils.errors import UserError

BN_RENAMES = {"weight": "gamma", "bias": "beta", "running_mean": "moving_mean", "running_var": "moving_variance"}
TORCH_HINT = "pip install torch==2.13.0 (the CPU build is enough)"


def read_torch_state_dict(path):
    """{name: float32 ndarray} from a .pth file: a state_dict, {"state_dict": ...} or with a "module." prefix.

    Raises:
        UserError: torch missing, file missing/unreadable, or not a state_dict of tensors.
    """
    try:
        import torch
    except ImportError:
        raise UserError(f"reading {path} needs PyTorch, which is not installed; {TORCH_HINT}")
    if not os.path.isfile(path):
        raise UserError(f"--src {path}: no such file; expected a PyTorch .pth state_dict")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        reason = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise UserError(f"--src {path} cannot be read safely ({reason}); expected a PyTorch state_dict saved with "
                        f"torch.save(model.state_dict(), ...)")
    if isinstance(obj, dict) and isinstance(obj.get("state_dict"), dict):
        obj = obj["state_dict"]
    if not isinstance(obj, dict) or not obj or not all(hasattr(v, "numpy") for v in obj.values()):
        raise UserError(f"--src {path} is not a state_dict of tensors; expected torch.save(model.state_dict(), ...)")
    strip = all(k.startswith("module.") for k in obj)
    return {(k[len("module."):] if strip else k): v.detach().cpu().float().numpy() for k, v in obj.items()}


def torch_to_mindspore(state_dict):
    """Rename a PyTorch state_dict ({name: ndarray}) to MindSpore parameter names; returns {name: float32 ndarray}."""
    bn_prefixes = {k[: -len(".running_mean")] for k in state_dict if k.endswith(".running_mean")}
    out = {}
    for name, value in state_dict.items():
        prefix, _, leaf = name.rpartition(".")
        if leaf == "num_batches_tracked":
            continue
        if prefix in bn_prefixes:
            name = f"{prefix}.{BN_RENAMES[leaf]}"
        out[name] = np.ascontiguousarray(value, dtype=np.float32)
    return out


def convert_file(net_name, n_classes, src, dst, overwrite=False):
    """Convert ``src`` (.pth) into ``dst`` (.ckpt) for registry network ``net_name``; returns the loaded network.

    The network is built, loaded strictly (every name and shape must match) and saved atomically. An existing
    ``dst`` is never replaced unless ``overwrite``.
    """
    from ats_ms.models import create_model
    from ats_ms.models.checkpoint import load_strict, save_network

    if os.path.exists(dst) and not overwrite:
        raise UserError(f"--dst {dst} already exists; expected a new file name (or --overwrite True)")
    if os.path.abspath(dst) == os.path.abspath(src):
        raise UserError(f"--dst {dst} is the source file; expected a different file name")
    params = torch_to_mindspore(read_torch_state_dict(src))
    net = create_model(net_name, n_classes)
    load_strict(net, params, source=src)
    folder = os.path.dirname(os.path.abspath(dst))
    if not os.path.isdir(folder) or not os.access(folder, os.W_OK):
        raise UserError(f"--dst {dst}: folder {folder} does not exist or is not writable; expected a writable folder")
    save_network(net, dst)
    return net
