"""``make_config``: a validated configuration of any command, as the command line and the Python API make it.

defaults < YAML < keyword overrides, every value checked against the flag table (``ats_ms.config.flags``), then the
command's cross-checks: the teacher checkpoint of a distillation is found and its record adopted (network, classes,
dataset, normalisation; ``ats_ms.config.record``), explicit values contradicting it are refused, default file names
are filled in, a method's rules applied (``resolve_method``). Nothing is read but the checkpoints' records, nothing is
written. Errors are ``UserError`` (a ``ValueError``) whose message names keywords (``overwrite=True``) where the
command line names flags.
"""
import os

from ats_ms.config.flags import COMMANDS, FLAGS, flags_of, keys_where, yaml_ignored
from ats_ms.config.run_config import new_config
from ats_ms.config.sources import resolve
from ats_ms.losses import registry
from ats_ms.sweep.grid import grid_groups
from ats_ms.utils import naming
from ats_ms.utils.errors import UserError, speak_keywords


@speak_keywords
def make_config(command, config_file=None, **overrides):
    """A validated configuration of ``command``.

    Args:
        command (str): ``classify``, ``distill`` (what ``train`` runs) or any other command of ``python -m ats_ms``.
        config_file (str | None): YAML whose keys are flags.
        **overrides: flag values (strings are parsed as on the command line).

    Returns:
        RunConfig: read-only; ``config.replace(**changes)`` makes a changed, re-validated copy.

    Raises:
        UserError (ValueError): an unknown flag, a bad value, a missing or contradicting teacher checkpoint.
    """
    if command not in COMMANDS:
        raise UserError(f"unknown command {command!r}; expected one of {', '.join(COMMANDS)}")
    given = overrides.pop("config", None)
    if given is not None and config_file is not None and os.fspath(given) != os.fspath(config_file):
        raise UserError(f"two YAML files given ({config_file} and config={given}); expected one")
    config_file = config_file if config_file is not None else given
    spec = COMMANDS[command]
    flags = flags_of(command)
    values, sources = resolve(flags, config_file, overrides, ignored=yaml_ignored(command))
    _FINISH.get(command, lambda values, sources: None)(values, sources)
    if spec.trains:
        _finish_names(command, values)
    _check_outputs(command, values)
    needs_teacher = any(registry.get(kd_way).needs_teacher for kd_way in _methods_of(command, values))
    return new_config(command, values, sources, _remake, trains=spec.trains, needs_teacher=needs_teacher)


def _methods_of(command, values):
    if "kd_way" in values:
        return [values["kd_way"]]
    if command == "sweep" and not values.get("report_only"):
        return [kd_way for kd_way, _ in grid_groups(values)]
    return []


def _check_outputs(command, values):
    """Output folders and files that cannot be written or named are refused before anything runs (the folders of
    a training's checkpoints and logs are checked with its files, ``outputs.check_outputs``)."""
    from ats_ms.utils.checks import check_output_dir, check_output_file
    checks = {"dir": check_output_dir, "file": check_output_file}
    for flag in keys_where("output", command):
        if values.get(flag) and FLAGS[flag].output in checks:
            checks[FLAGS[flag].output](flag, values[flag])


def _remake(config, changes):
    chooser = COMMANDS[config.command].record
    reread = chooser and any(chooser in FLAGS[k].chooses for k in changes if k in FLAGS)
    keep = ("yaml", "given") if reread else ("yaml", "given", "record")
    overrides = {k: v for k, v in config.to_dict().items() if config.sources[k] in keep and k != "config"}
    if "kd_way" in changes:  # hyper-parameters the new method does not use are dropped (shared ones carry over)
        own = registry.get(changes["kd_way"]).hyper_names
        for name in registry.hyper_parameters():
            if name not in own and name not in changes:
                overrides.pop(name, None)
    overrides.update(changes)
    return make_config(config.command, **overrides) if "config" in changes else \
        make_config(config.command, config.to_dict().get("config"), **overrides)


def _check_style(values, name_flag, style_flag):
    from ats_ms.models.registry import check_style
    if values.get(style_flag) and values.get(name_flag):
        check_style(values[name_flag], values[style_flag], f"--{style_flag}")


def _fill_classes(values, sources=None):
    """What is left unset (and not recorded) from the dataset's entry: ``n_classes`` (its class count, read from
    the files where it is not fixed), ``image_size``, ``normalize`` and ``transform``."""
    if not values.get("dataset"):
        return
    from ats_ms.data.registry import get_dataset
    entry = get_dataset(values["dataset"])
    if values.get("n_classes", 0) is None:
        values["n_classes"] = entry.class_count(values["data_dir"])
    for name, default in (("image_size", entry.image_size), ("normalize", entry.normalize),
                          ("transform", entry.recipe)):
        if name in values and values[name] is None:
            values[name] = default


def _msrun_device(values, sources):
    """Under msrun each local worker takes its DEVICE_ID, unless --device_id is given."""
    if sources["device_id"] == "default" and "DEVICE_ID" in os.environ:
        values["device_id"], sources["device_id"] = int(os.environ["DEVICE_ID"]), "environment"


def _finish_training(values, sources):
    _check_style(values, "net_name", "net_style")
    if values.get("init_ckpt") and not os.path.isfile(values["init_ckpt"]):
        raise UserError(f"--init_ckpt {values['init_ckpt']}: no such file; expected a MindSpore .ckpt (ours, or "
                        f"converted with 'python -m ats_ms convert')")
    if values["drop_last"] is None:
        values["drop_last"] = values["net_style"] == "demo"
    if values.get("distribute"):
        _msrun_device(values, sources)
    if values.get("sync_bn") and values["device_target"] == "CPU":
        raise UserError("--sync_bn True needs GPU or Ascend (SyncBatchNorm has no CPU kernel); expected --sync_bn "
                        "False on CPU")
    if values.get("lr_scale") == "linear" and not values.get("distribute"):
        raise UserError("--lr_scale linear scales the learning rate with the device count; expected it with "
                        "--distribute True (or --lr_scale none)")
    if values.get("sync_bn") and not values.get("distribute"):
        raise UserError("--sync_bn True synchronises BatchNorm across devices; expected it with --distribute True")


def resolve_method(values, sources, label=lambda name: f"--{name}"):
    """Apply ``values["kd_way"]``'s registry entry to a flag dict in place, by where each value came from: its unset
    hyper-parameters take its defaults, tied flags take their hyper-parameter's value, ignored ones become None.

    Args:
        values (dict): flag values (``kd_way`` and the hyper-parameters).
        sources (dict): where each came from; an ignored or contradicting tied flag is refused only when
            ``given`` (command line or keyword), YAML values of other methods are ignored.

    Raises:
        UserError: a given hyper-parameter the method does not use, a tied flag that contradicts, a bad value.
    """
    method = registry.get(values["kd_way"], label("kd_way"))
    values["kd_way"] = method.name
    given = {h: values[h] for h in registry.hyper_parameters() if h in values and sources.get(h) == "given"
             and h not in method.hyper_names and h not in method.tied and values[h] is not None}
    if given:
        method.check_hyper(given, label)
    own = {h: values.get(h) for h in method.hyper_names}
    values.update(method.check_hyper(own, label))
    for flag, target in method.tied.items():
        if sources.get(flag, "default") != "default" and values.get(flag) is not None:
            registry.check_tied(method, flag, values[flag], values[target], label)
        values[flag] = values[target]
    for flag in registry.ignored_flags(method.name):
        if flag in registry.hyper_parameters() and flag in values:
            values[flag] = None
    return values


def _finish_distill(values, sources):
    _finish_training(values, sources)
    resolve_method(values, sources)
    if registry.get(values["kd_way"]).needs_teacher:
        _finish_teacher(values, sources)
    _fill_classes(values)
    _check_classes([values["kd_way"]], values)


def _check_classes(kd_ways, values):
    """Methods defined only from some class count on (DKD: 3) are refused for fewer classes."""
    for kd_way in kd_ways:
        method = registry.get(kd_way)
        if values.get("logit_std") and values["n_classes"] is not None and values["n_classes"] < 2:
            raise UserError(f"--logit_std True standardises over the classes, but the data has {values['n_classes']}; "
                            f"expected at least 2 classes (or --logit_std False)")
        if values["n_classes"] is not None and values["n_classes"] < method.min_classes:
            raise UserError(f"kd_way {method.name} needs at least {method.min_classes} classes, but the data has "
                            f"{values['n_classes']}; expected another kd_way (or more classes)")


def _finish_teacher(values, sources):
    adopt_teacher_record(values, sources)
    _check_style(values, "t_net_name", "t_net_style")


def adopt_teacher_record(values, sources):
    """Find the teacher checkpoint (``t_ckpt``, else ``{ckpt_dir}/{dataset}-{t_net_name}.ckpt``) and adopt its
    record: t_net_name, t_net_style, n_classes, dataset and normalize; ``t_ckpt`` is set to the path found."""
    from ats_ms.config.record import AS_TEACHER, adopt_checkpoint
    path = naming.teacher_ckpt_path(values)
    if not os.path.isfile(path):
        raise UserError(f"teacher checkpoint {path} not found; expected --t_ckpt FILE or "
                        f"{{ckpt_dir}}/{{dataset}}-{{t_net_name}}.ckpt (train it with classify, or convert the "
                        f"published .pth with 'python -m ats_ms convert')")
    adopt_checkpoint(values, sources, path, AS_TEACHER, f"teacher checkpoint {path}", values["data_dir"])
    values["t_ckpt"] = path


def _finish_names(command, values):
    values["ckpt_name"] = values["ckpt_name"] or naming.default_ckpt_name(values, command)
    from ats_ms.utils.checks import check_names_fit
    for flag, folder in (("ckpt_name", "ckpt_dir"), ("log_name", "log_dir")):
        name = values[flag]
        if not name or os.path.basename(name) != name or name in (".", ".."):
            raise UserError(f"--{flag}={name!r} is not a file name; expected a name without a folder (the folder "
                            f"is --{folder})")
        check_names_fit(folder, values[folder], values[folder], ())
    paths = naming.run_paths(values)
    for flag, folder, kinds in (("ckpt_name", "ckpt_dir", ("ckpt", "best", "resume")),
                                ("ckpt_name", "log_dir", ("metrics", "config")), ("log_name", "log_dir", ("log",))):
        check_names_fit(flag, values[flag], values[folder], [os.path.basename(paths[k]) for k in kinds],
                        components=False)


def _finish_checkpoint_reader(values, sources):
    """eval and export: find the checkpoint and adopt its record (network, style, classes, data, normalisation)."""
    from ats_ms.config.record import AS_NETWORK, adopt_checkpoint
    if values.get("device"):
        if sources.get("device_target", "default") != "default" and values["device_target"] != values["device"]:
            raise UserError(f"--device {values['device']} and --device_target {values['device_target']} disagree "
                            f"(--device is the demo's spelling of --device_target); expected one of them")
        values["device_target"] = values["device"]
    path = values["ckpt"] or (os.path.join(values["ckpt_dir"], values["ckpt_name"]) if values["ckpt_name"] else None)
    if not path:
        raise UserError("no checkpoint given; expected --ckpt PATH or --ckpt_name NAME (in --ckpt_dir)")
    adopt_checkpoint(values, sources, path, AS_NETWORK, f"checkpoint {path}", values.get("data_dir"))
    _check_style(values, "net_name", "net_style")
    _fill_classes(values)
    if values.get("image_size", 0) is None:
        from ats_ms.models.registry import image_size_of
        values["image_size"] = image_size_of(values["net_name"])
    values["ckpt"] = path


def _finish_classify(values, sources):
    _finish_training(values, sources)
    _fill_classes(values)


def _finish_sweep(values, sources):
    for flag, data_parallel in (("distribute", True), ("lr_scale", "linear"), ("sync_bn", True)):
        if values[flag] == data_parallel:
            raise UserError(f"--{flag} {data_parallel} is for data-parallel training, but a sweep's workers train "
                            f"separate cells, one device each; expected it left out (several devices: "
                            f"scripts/run_sweep_gpu.sh CONFIG NUM_DEVICES)")
    if os.environ.get("MS_ROLE") == "MS_WORKER":
        _msrun_device(values, sources)
    if values["grid"] and any(sources[k] != "default" for k in ("tp_taus", "t_taus")):
        raise UserError("--grid and --tp_taus/--t_taus both give the cells; expected --grid groups only (the classic "
                        "grid is --grid 'kd_way=ATS tp_tau=... t_tau=...'), or --tp_taus/--t_taus alone")
    groups = grid_groups(values)
    per_cell = sorted({name for _, group in groups for name in group if sources.get(name) == "given"})
    if per_cell:
        raise UserError(f"{', '.join('--' + n for n in per_cell)} given, but the grid sets it per cell; expected its "
                        f"values in the grid only")
    used = {name for kd_way, _ in groups for name in registry.get(kd_way).hyper_names}
    unused = sorted(name for name in registry.hyper_parameters() if sources.get(name) == "given" and name not in used)
    if unused:
        raise UserError(f"{', '.join('--' + n for n in unused)} not used by the grid's methods "
                        f"({', '.join(dict.fromkeys(k for k, _ in groups))}); expected only their hyper-parameters: "
                        f"{', '.join(sorted(used)) or 'none'}")
    if values["heatmap"]:
        _check_heatmap(values["heatmap"], groups)
    if values["report_only"]:  # gathering the table needs no teacher
        _fill_classes(values)
        return
    _finish_training(values, sources)
    if any(registry.get(kd_way).needs_teacher for kd_way, _ in groups):
        _finish_teacher(values, sources)
    _fill_classes(values)
    _check_classes([kd_way for kd_way, _ in groups], values)


def _check_heatmap(heatmap, groups):
    """--heatmap METHOD:AXIS,AXIS must name a method of the grid and two axes its groups give several values."""
    kd_way, axes = heatmap.split(":")
    if kd_way not in {k for k, _ in groups}:
        raise UserError(f"--heatmap {heatmap} names a method the grid does not hold; expected one of "
                        f"{', '.join(sorted({k for k, _ in groups}))}")
    varying = {axis for k, group in groups if k == kd_way for axis, values in group.items() if len(values) > 1}
    flat = [axis for axis in axes.split(",") if axis not in varying]
    if flat:
        raise UserError(f"--heatmap {heatmap}: the grid gives {', '.join(flat)} one value; expected two axes with "
                        f"several values in kd_way {kd_way}'s --grid groups ({', '.join(sorted(varying)) or 'none'})")


def _finish_export(values, sources):
    _finish_checkpoint_reader(values, sources)
    if values["file_format"] == "AIR" and values["device_target"] != "Ascend":
        raise UserError(f"--file_format AIR needs --device_target Ascend (got {values['device_target']}); expected "
                        f"MINDIR here")
    out = naming.export_path(os.path.dirname(values["ckpt"]) or ".", os.path.basename(values["ckpt"]),
                             values["file_format"])
    if os.path.exists(out) and not values["overwrite"]:
        raise UserError(f"{out} already exists; expected --overwrite True to replace it")


def _finish_convert(values, sources):
    for flag in ("net_name", "src", "dst"):
        if not values[flag]:
            raise UserError(f"--{flag} is required; expected e.g. --net_name WRN28-8 --src cifar100-WRN28-8-E240.pth "
                            f"--dst ckpts/cifar100-WRN28-8.ckpt")
    if sources.get("dataset", "default") == "default":  # an ImageNet network's data: an ImageFolder (ILSVRC2012)
        from ats_ms.models.registry import image_size_of
        values["dataset"] = "folder" if image_size_of(values["net_name"]) != 32 else values["dataset"]


_FINISH = {"classify": _finish_classify, "distill": _finish_distill, "sweep": _finish_sweep,
           "eval": _finish_checkpoint_reader, "export": _finish_export, "analyze": _fill_classes,
           "convert": _finish_convert}
