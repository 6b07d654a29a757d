"""Strict checkpoint loading and atomic saving of bare networks, with string metadata beside the parameters.

``mindspore.load_param_into_net`` never raises on name mismatches, so ``load_strict`` compares names and shapes
itself and raises one UserError listing every missing, unexpected and mis-shaped parameter. A checkpoint may carry
string entries (``META_KEYS``: the run's record, a resume state) stored with ``append_dict``; ``read_checkpoint``
leaves them out and ``read_meta`` reads one of them without loading the parameters.
"""
import functools
import logging
import os

import numpy as np

from ats_ms.utils.errors import UserError

log = logging.getLogger(__name__)
_LIST_MAX = 6
RECORD_KEY, STATE_KEY = "ats_record", "ats_state"  # a run's record; a resume file's state
META_KEYS = (RECORD_KEY, STATE_KEY)


def _load(path, choice_func=None):
    import mindspore as ms
    path = os.fspath(path)
    if os.path.isdir(path):
        raise UserError(f"checkpoint {path} is a folder; expected a MindSpore .ckpt file (--ckpt FILE, or "
                        f"--ckpt_dir FOLDER with --ckpt_name NAME)")
    if not os.path.isfile(path):
        raise UserError(f"checkpoint {path}: no such file; expected a MindSpore .ckpt file")
    try:
        return ms.load_checkpoint(path, choice_func=choice_func)
    except Exception as exc:  # MindSpore raises ValueError/RuntimeError with multi-line text on corrupt files
        reason = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
        raise UserError(f"checkpoint {path} cannot be read ({reason}); expected a complete MindSpore .ckpt file")


def is_optimizer_entry(name):
    """Whether entry ``name`` of a resume file is optimizer state (moments, global step), not a network parameter."""
    return name.startswith("moments.") or name == "global_step"


LOSS_PREFIX = "loss."


def is_loss_entry(name):
    """Whether entry ``name`` is a parameter of a student's loss (CTKD's learned temperature), not of the network."""
    return name.startswith(LOSS_PREFIX)


def read_checkpoint(path, with_meta=False, optimizer_state=False):
    """Read a MindSpore checkpoint into {name: Parameter} (metadata left out; with ``with_meta`` also returns
    {key: str} of ``META_KEYS``); missing, truncated or corrupt files raise UserError. The optimizer entries of a
    resume file (``moments.*``, ``global_step``) and a loss's parameters (``loss.*``) are left out unless
    ``optimizer_state``, so any checkpoint of a student loads into its network."""
    params = _load(path)
    meta = {k: params.pop(k) for k in META_KEYS if k in params}
    if not optimizer_state:
        params = {k: v for k, v in params.items()
                  if not is_loss_entry(k) and not (STATE_KEY in meta and is_optimizer_entry(k))}
    if not params:
        raise UserError(f"checkpoint {path} holds no parameters; expected a MindSpore .ckpt file of a network")
    return (params, meta) if with_meta else params


def read_meta(path, key):
    """The string stored under ``key`` in checkpoint ``path`` (None when absent), without loading the parameters.

    Cached by the file's identity (inode, size, modification time): a sweep asks for its teacher's record once per
    cell and for every cell's resume state at every pack; a file replaced since is read again."""
    try:
        stat = os.stat(path)
    except OSError:
        return _read_meta(path, key, None)
    return _read_meta(os.path.abspath(path), key, (stat.st_ino, stat.st_size, stat.st_mtime_ns))


@functools.lru_cache(maxsize=256)
def _read_meta(path, key, identity):
    try:
        value = _load(path, choice_func=lambda name: name == key).get(key)
    except UserError as exc:
        if "empty after filter" in str(exc):  # MindSpore's word for "no entry of that name"
            return None
        raise
    return value if isinstance(value, str) else None


def _fmt(names):
    names = sorted(names)
    more = f" ... (+{len(names) - _LIST_MAX} more)" if len(names) > _LIST_MAX else ""
    return ", ".join(names[:_LIST_MAX]) + more


def compare(net, params):
    """Return (missing, unexpected, mismatched) between ``net``'s parameters and the {name: array-like} ``params``.

    Missing names that the network declares in ``ZERO_IF_MISSING`` (a regex) are not reported.
    """
    expected = {p.name: tuple(p.shape) for p in net.get_parameters()}
    optional = getattr(net, "ZERO_IF_MISSING", None)
    missing = [n for n in expected if n not in params and not (optional and optional.match(n))]
    unexpected = [n for n in params if n not in expected]
    mismatched = [f"{n} {tuple(np.shape(params[n]))} vs network {expected[n]}"
                  for n in expected if n in params and tuple(np.shape(params[n])) != expected[n]]
    return missing, unexpected, mismatched


def _classifier_mismatch(net, params, mismatched_names):
    """(checkpoint classes, network classes) if only the last layer's class dimension differs, else None."""
    last = [p for p in net.get_parameters()][-2:]
    names = {p.name for p in last}
    if not mismatched_names or not set(mismatched_names) <= names:
        return None
    weight = last[0]
    got = np.shape(params[weight.name])
    if len(got) == 2 and got[1:] == tuple(weight.shape[1:]):
        return got[0], weight.shape[0]
    return None


def load_strict(net, checkpoint, source=None, n_classes_flag=False):
    """Load a checkpoint (path or {name: Parameter/array}) into the bare ``net``; every parameter must match.

    Args:
        net (nn.Cell): the network, not yet wrapped (wrapping adds name prefixes).
        checkpoint (str | dict): checkpoint file or parameter dict.
        source (str | None): name of the checkpoint in messages.
        n_classes_flag (bool): word a class-count mismatch in terms of the --n_classes flag.

    Raises:
        UserError: listing missing, unexpected and mis-shaped parameters.
    """
    import mindspore as ms
    source = source or (checkpoint if isinstance(checkpoint, (str, os.PathLike)) else "checkpoint")
    params = read_checkpoint(checkpoint) if isinstance(checkpoint, (str, os.PathLike)) else dict(checkpoint)
    params = {n: v if isinstance(v, ms.Parameter) else ms.Parameter(ms.Tensor(np.asarray(v)), name=n)
              for n, v in params.items()}
    missing, unexpected, mismatched = compare(net, params)
    classes = None if missing or unexpected else _classifier_mismatch(
        net, params, [m.split(" ", 1)[0] for m in mismatched])
    if classes and n_classes_flag:
        raise UserError(f"--n_classes={classes[1]} but {source} was trained with {classes[0]} classes; expected "
                        f"--n_classes {classes[0]}")
    if missing or unexpected or mismatched:
        model = getattr(net, "model_name", type(net).__name__)
        parts = [f"{len(missing)} missing ({_fmt(missing)})" if missing else "",
                 f"{len(unexpected)} unexpected ({_fmt(unexpected)})" if unexpected else "",
                 f"{len(mismatched)} mis-shaped ({_fmt(mismatched)})" if mismatched else ""]
        raise UserError(f"checkpoint {source} does not match network {model}: "
                        f"{'; '.join(p for p in parts if p)}; expected a checkpoint of {model} with the same n_classes")
    zeroed = [p for p in net.get_parameters() if p.name not in params]
    for param in zeroed:
        params[param.name] = ms.Parameter(ms.Tensor(np.zeros(param.shape, np.float32)), name=param.name)
    if zeroed:
        log.warning("checkpoint %s has no conv biases (official demo VGG): %d biases loaded as zeros",
                    source, len(zeroed))
    not_loaded, _ = ms.load_param_into_net(net, params, strict_load=True)
    if not_loaded:
        raise UserError(f"checkpoint {source}: parameters not loaded: {_fmt(not_loaded)}")
    return net


def load_pretrained(net, path):
    """Start ``net`` from checkpoint ``path`` (fine-tuning): every parameter must match, except the classifier when
    only its class count differs, which then keeps its fresh initialisation.

    Returns:
        dict: ``checkpoint`` (path), ``classes`` (the checkpoint's class count) and ``reinitialised`` (names of the
        classifier's parameters left at their initialisation; empty when the class counts agree).

    Raises:
        UserError: the checkpoint is missing, unreadable or of another network.
    """
    params = read_checkpoint(path)
    missing, unexpected, mismatched = compare(net, params)
    mismatched_names = [m.split(" ", 1)[0] for m in mismatched]
    classes = None if missing or unexpected else _classifier_mismatch(net, params, mismatched_names)
    reinitialised = []
    if classes:
        own = {p.name: p for p in net.get_parameters()}
        for name in mismatched_names:
            params[name] = own[name]
        reinitialised = sorted(mismatched_names)
    load_strict(net, params, source=path)
    last = [p for p in net.get_parameters()][-2]
    return {"checkpoint": os.fspath(path), "classes": int(classes[0]) if classes else int(last.shape[0]),
            "reinitialised": reinitialised}


def save_network(net, path, meta=None):
    """Save parameters to ``path`` atomically, with string metadata.

    Args:
        net (nn.Cell | list[tuple[str, Parameter]]): a bare network, or (name, parameter) pairs (e.g. a wrapped
            student's parameters under their bare names).
        path (str): checkpoint file.
        meta (dict[str, str] | None): entries of ``META_KEYS`` to store beside the parameters.
    """
    import mindspore as ms

    from ats_ms.utils.files import atomic_path
    items = net if isinstance(net, list) else [(p.name, p) for p in net.get_parameters()]
    with atomic_path(path) as tmp:
        ms.save_checkpoint([{"name": n, "data": p} for n, p in items], tmp, append_dict=dict(meta or {}))
    return path
