"""Resume checkpoints: student parameters, optimizer state and the run's history in one atomically written file.

The file holds the student's parameters under their bare names, the optimizer's moments as ``moments.<bare name>``
and its global step, the run's record, and a JSON string ``ats_state`` with the epoch reached, the per-epoch history,
the seed and a fingerprint of the configuration. Names do not depend on whether the run trained alone or in a pack,
so a run interrupted in a pack can continue alone and the other way round. The file is written to a temporary file
and renamed, so a kill at any moment leaves the previous resume file intact.
"""
import hashlib
import json
import os

from ats_ms.config.flags import flags_of, keys_where
from ats_ms.models.checkpoint import STATE_KEY, is_loss_entry, is_optimizer_entry, load_strict
from ats_ms.utils.errors import UserError


def fingerprint(config):
    """Hash of every flag that determines the result (the rows that are not ``volatile``), kept in a resume file
    for reference; resumption compares the saved config itself (``config_changes``)."""
    volatile = keys_where("volatile", config.command)
    items = {k: v for k, v in sorted(config.to_dict().items()) if k not in volatile}
    return hashlib.sha256(json.dumps(items, sort_keys=True, default=str).encode()).hexdigest()[:16]


def config_changes(stored, config, ignore=()):
    """The flags whose value in ``config`` differs from ``stored``, the config dict a run saved (its effective YAML,
    or its resume state).

    Not compared: ``volatile`` flags, ``ignore``, the flags the run's method ignores, flags removed since, and flags
    ``stored`` does not hold (added since) while ``config`` has their default (the flag's, the dataset's, a
    checkpoint record's, or the method's for a hyper-parameter): an upgrade keeps runs and sweep folders
    resumable. ``path`` flags compare as the files they name (``./ckpts/t.ckpt`` is ``ckpts/t.ckpt``).
    """
    from ats_ms.losses import registry
    current = config.to_dict()
    skip = set(keys_where("volatile", config.command)) | set(ignore)
    defaults = {name: flag.default for name, flag in flags_of(config.command).items()}
    if "kd_way" in current:
        skip |= set(registry.ignored_flags(current["kd_way"]))
        defaults.update(registry.get(current["kd_way"]).defaults())
    paths = keys_where("path", config.command)

    def same(key):
        if key not in current:
            return True
        if key not in stored:
            return config.sources.get(key, "default") in ("default", "record") or current[key] == defaults.get(key)
        a, b = current[key], stored[key]
        if key in paths and a and b:
            return os.path.realpath(a) == os.path.realpath(b)
        return str(a) == str(b)

    return sorted(k for k in set(stored) | set(current) if k not in skip and not same(k))


def saved_config(paths):
    """The config a run in ``paths`` (``naming.run_paths``) was trained with: a finished run's effective YAML, else
    its resume state's; None when it has neither."""
    from ats_ms.models.checkpoint import read_meta
    if os.path.isfile(paths["ckpt"]) and os.path.isfile(paths["config"]):
        import yaml
        with open(paths["config"], encoding="utf-8") as f:
            return yaml.safe_load(f) or {}
    raw = read_meta(paths["resume"], STATE_KEY) if os.path.isfile(paths["resume"]) else None
    return json.loads(raw).get("config", {}) if raw else None


def save_state(path, named_params, optimizer, state, record_meta):
    """Write the resume checkpoint atomically.

    Args:
        named_params (list[tuple[str, Parameter]]): the student's parameters under their bare names, in the
            optimizer's order for the trainable ones.
        optimizer (nn.Optimizer): the student's optimizer (moments in the order of its parameters).
        state (dict): JSON-able epoch, history, seed, fingerprint, config.
        record_meta (dict): the run's record entry (``ats_ms.config.record.encode``).
    """
    from ats_ms.models.checkpoint import save_network
    bare = {id(p): name for name, p in named_params}
    items = list(named_params)
    items += [(f"moments.{bare[id(p)]}", m) for p, m in zip(optimizer.parameters, optimizer.moments)]
    items.append(("global_step", optimizer.global_step))
    save_network(items, path, meta={**record_meta, STATE_KEY: json.dumps(state)})


def epochs_done(path):
    """Epochs finished by the run whose resume file is ``path`` (0 without one), read from its state alone."""
    from ats_ms.models.checkpoint import read_meta
    raw = read_meta(path, STATE_KEY) if os.path.isfile(path) else None
    return json.loads(raw)["epoch"] if raw else 0


def read_state(path, config):
    """Read a resume checkpoint written for ``config``; returns (state, student params, optimizer entries).

    Raises:
        UserError: unreadable file, not a resume file, or one written by a run with another configuration.
    """
    from ats_ms.models.checkpoint import read_checkpoint
    params, meta = read_checkpoint(path, with_meta=True, optimizer_state=True)
    if not isinstance(meta.get(STATE_KEY), str):
        raise UserError(f"--resume: {path} is not a resume checkpoint of ats_ms; expected a *.resume.ckpt file")
    state = json.loads(meta[STATE_KEY])
    changed = config_changes(state["config"], config) if "config" in state else \
        ([] if state.get("fingerprint") == fingerprint(config) else ["unknown"])
    if changed:
        raise UserError(f"--resume: {path} was written by a run with a different configuration (changed: "
                        f"{', '.join(changed)}); expected the same flags, or a new --ckpt_name")
    optimizer_state = {k: params.pop(k) for k in list(params) if is_optimizer_entry(k)}
    return state, params, optimizer_state


def load_optimizer_state(optimizer, named_params, optimizer_state, path):
    """Restore the moments and global step saved by ``save_state`` into ``optimizer`` (parameters renamed since)."""
    import mindspore as ms
    bare = {id(p): name for name, p in named_params}
    wanted = {f"moments.{bare[id(p)]}": m for p, m in zip(optimizer.parameters, optimizer.moments)}
    if set(optimizer_state) != set(wanted) | {"global_step"}:
        raise UserError(f"--resume: {path} has optimizer state for {len(optimizer_state)} of {len(wanted) + 1} "
                        f"entries; expected a resume checkpoint written by this run")
    for name, moment in wanted.items():
        moment.set_data(ms.Tensor(optimizer_state[name].asnumpy()))
    optimizer.global_step.set_data(ms.Tensor(optimizer_state["global_step"].asnumpy()))


def restore_resume(path, config, student, named):
    """Restore a run from its resume file ``path`` into ``student`` and the loss parameters among ``named`` ((name,
    Parameter) pairs, ``loss.``-prefixed for the loss Cell's own); None when there is no such file.

    Returns:
        tuple | None: (history, last finished epoch, optimizer state for ``load_optimizer_state``).

    Raises:
        UserError: the file belongs to another run, or holds other loss parameters than the run's method has.
    """
    import mindspore as ms
    if not os.path.isfile(path):
        return None
    saved, params, optimizer_state = read_state(path, config)
    load_strict(student, {k: v for k, v in params.items() if not is_loss_entry(k)}, source=path)
    own = {name: p for name, p in named if is_loss_entry(name)}
    if set(own) != {k for k in params if is_loss_entry(k)}:
        raise UserError(f"--resume: {path} holds other loss parameters than kd_way "
                        f"{config.to_dict().get('kd_way')} has; expected a resume file of this run")
    for name, param in own.items():
        param.set_data(ms.Tensor(params[name].asnumpy()))
    return saved["history"], saved["epoch"], optimizer_state
