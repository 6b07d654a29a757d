"""Resume checkpoints: student parameters, optimizer state and the run's history in one atomically written file.

The file holds the student's parameters (bare names), the optimizer's moments and global step, and a JSON string
``ats_state`` with the epoch reached, the per-epoch history, the seed and a fingerprint of the configuration. It is
written to a temporary file and renamed, so a kill at any moment leaves the previous resume file intact.
"""
import hashlib
import json
import os

from ats_ms.utils.errors import UserError

# Flags that may change between an interrupted run and its resumption without changing the result.
VOLATILE_KEYS = {"resume", "print_every", "num_workers", "device_id", "config", "download", "overwrite",
                 "data_dir", "log_dir", "mode"}


def fingerprint(config):
    """Hash of every flag that determines the result (see VOLATILE_KEYS for those that may change)."""
    items = {k: v for k, v in sorted(vars(config).items()) if k not in VOLATILE_KEYS}
    return hashlib.sha256(json.dumps(items, sort_keys=True, default=str).encode()).hexdigest()[:16]


def save_state(path, student, optimizer, state):
    """Write the resume checkpoint atomically. ``state`` is a JSON-able dict (epoch, history, seed, fingerprint)."""
    import mindspore as ms
    items = [{"name": p.name, "data": p} for p in student.get_parameters()]
    items += [{"name": m.name, "data": m} for m in optimizer.moments]
    items.append({"name": "global_step", "data": optimizer.global_step})
    folder, name = os.path.split(path)
    tmp = os.path.join(folder, f".{name}.tmp-{os.getpid()}.ckpt")
    try:
        ms.save_checkpoint(items, tmp, append_dict={"ats_state": json.dumps(state)})
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def load_state(path, config, student, optimizer):
    """Restore student and optimizer from ``path``; returns the saved state dict.

    Raises:
        UserError: unreadable file, or one written by a run with another configuration.
    """
    import mindspore as ms

    from ats_ms.models.checkpoint import load_strict, read_checkpoint
    params = read_checkpoint(path)
    raw = params.pop("ats_state", None)
    if not isinstance(raw, str):
        raise UserError(f"--resume: {path} is not a resume checkpoint of ats_ms; expected a *.resume.ckpt file")
    state = json.loads(raw)
    if state.get("fingerprint") != fingerprint(config):
        changed = sorted(k for k, v in state.get("config", {}).items()
                         if k not in VOLATILE_KEYS and str(getattr(config, k, None)) != str(v))
        raise UserError(f"--resume: {path} was written by a run with a different configuration (changed: "
                        f"{', '.join(changed) or 'unknown'}); expected the same flags, or a new --ckpt_name")
    optimizer_state = {k: params.pop(k) for k in list(params) if k.startswith("moments.") or k == "global_step"}
    load_strict(student, params, source=path)
    wanted = {m.name for m in optimizer.moments} | {"global_step"}
    if set(optimizer_state) != wanted:
        raise UserError(f"--resume: {path} has optimizer state for {len(optimizer_state)} of {len(wanted)} entries; "
                        f"expected a resume checkpoint written by this run")
    ms.load_param_into_net(optimizer, optimizer_state, strict_load=True)
    return state
