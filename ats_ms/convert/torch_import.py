"""PyTorch state_dict -> MindSpore checkpoint of the same registry network.

The networks mirror the reference's state_dict names (torchvision's for ResNet18/34/50 and MobileNetV2-ImageNet, so
the files torchvision caches, e.g. ``resnet34-b627a593.pth``, convert as they are), so the only renaming is
BatchNorm's: weight -> gamma, bias -> beta, running_mean -> moving_mean, running_var -> moving_variance
(num_batches_tracked is dropped). Files are read with ``torch.load(weights_only=True)``, which never executes code from
the file. torch is optional.
"""
import os

import numpy as np

from ats_ms.utils.errors import UserError

BN_RENAMES = {"weight": "gamma", "bias": "beta", "running_mean": "moving_mean", "running_var": "moving_variance"}
TORCH_HINT = "pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu (the CPU build)"


ZIP_MAGIC, PICKLE_MAGIC = b"PK\x03\x04", b"\x80"


def not_a_torch_file(path):
    """What file ``path`` is when it is not a torch.save file (a zip archive holding ``data.pkl``, or a legacy pickle),
    else None; read without PyTorch."""
    import zipfile
    with open(path, "rb") as f:
        head = f.read(4)
    if head.startswith(PICKLE_MAGIC):
        return None
    if head == ZIP_MAGIC:
        try:
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
        except zipfile.BadZipFile:
            return "a damaged zip archive"
        if any(name == "data.pkl" or name.endswith("/data.pkl") for name in names):
            return None
        inner = [n for n in names if n.endswith((".pth", ".pt"))]
        return (f"a zip archive holding {', '.join(inner[:3])} (unzip it and give the .pth)" if inner else
                f"a zip archive without a torch.save file ({len(names)} entries)")
    from ats_ms.models.checkpoint import read_checkpoint
    try:
        read_checkpoint(path)
        return "a MindSpore checkpoint, which needs no conversion (use it as --t_ckpt, --ckpt or --init_ckpt)"
    except UserError:
        return f"no PyTorch file: its first bytes {head!r} are neither a zip archive nor a pickle"


def read_torch_state_dict(path):
    """{name: float32 ndarray} from a .pth file: a state_dict, {"state_dict": ...} or with a "module." prefix.

    Raises:
        UserError: torch missing, file missing/unreadable, or not a state_dict of tensors.
    """
    if not os.path.isfile(path):
        raise UserError(f"--src {path}: no such file; expected a PyTorch .pth state_dict")
    not_torch = not_a_torch_file(path)
    if not_torch:
        raise UserError(f"--src {path} is {not_torch}; expected a PyTorch .pth state_dict (torch.save)")
    try:
        import torch
    except ImportError:
        raise UserError(f"reading {path} needs PyTorch, which is not installed; {TORCH_HINT}")
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


def classes_in(net_name, state_dict):
    """The class count of a state_dict of ``net_name``: the rows of its last 2-D (dense) weight."""
    from ats_ms.models import create_model
    dense = [p.name for p in create_model(net_name, 1).get_parameters() if len(p.shape) == 2][-1]
    if dense not in state_dict:
        raise UserError(f"the state_dict has no {dense}; expected a state_dict of {net_name}")
    return int(state_dict[dense].shape[0])


def convert_file(config):
    """Convert ``config.src`` (.pth) into ``config.dst`` (.ckpt) for network ``config.net_name``.

    The network is built (``config.n_classes``, or the class count found in the file), loaded strictly (every name
    and shape must match) and saved atomically with a record: network, classes, ``config.dataset``,
    ``config.normalize`` (default ``imagenet``, the published teachers' and torchvision's) and ``image_size``
    (``config.image_size`` when given, else the network's design size: 224 for the ImageNet networks of torchvision's
    files such as ``resnet18-f37072fd.pth``, 32 for the CIFAR ones). An existing ``dst`` is never replaced unless
    ``config.overwrite``.

    Returns:
        tuple: (the loaded network, its record).
    """
    from ats_ms.config.record import encode, network_record
    from ats_ms.models import create_model
    from ats_ms.models.checkpoint import load_strict, save_network
    from ats_ms.models.registry import image_size_of

    src, dst = config.src, config.dst
    if os.path.exists(dst) and not config.overwrite:
        raise UserError(f"--dst {dst} already exists; expected a new file name (or --overwrite True)")
    if os.path.abspath(dst) == os.path.abspath(src):
        raise UserError(f"--dst {dst} is the source file; expected a different file name")
    params = torch_to_mindspore(read_torch_state_dict(src))
    n_classes = config.n_classes or classes_in(config.net_name, params)
    net = create_model(config.net_name, n_classes)
    load_strict(net, params, source=src, n_classes_flag=True)
    image_size = config.image_size or image_size_of(net.model_name)
    record = network_record("convert", source=os.path.basename(src), net_name=net.model_name, net_style="paper",
                            n_classes=n_classes, dataset=config.dataset, normalize=config.normalize or "imagenet",
                            image_size=image_size)
    save_network(net, dst, encode(record))
    return net, record
