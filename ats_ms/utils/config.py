"""Flags, YAML configs and their precedence: defaults < YAML (``--config``) < command line.

Every flag is also a YAML key with the same name (flat YAML, as mindcv). An unknown YAML key, a YAML syntax error or
a value of the wrong type is a UserError naming the file, the key and what was expected. The official demo's flags
keep their spelling, defaults and meaning (``--epoches``, ``--download True``); booleans are parsed properly.
"""
import argparse
import os
from dataclasses import dataclass, field

from ats_ms.utils.args import ArgumentParser, str2bool
from ats_ms.utils.errors import UserError


@dataclass(frozen=True)
class Flag:
    """One flag/YAML key: name, type (str, int, float or bool), default, help, allowed choices."""
    name: str
    type: type
    default: object
    help: str
    choices: tuple = field(default=())


def _flags(*rows):
    return {row[0]: Flag(*row) for row in rows}


DATA = _flags(
    ("dataset", str, "cifar100", "dataset name", ("cifar100", "cifar10", "digits")),
    ("data_dir", str, "./data/", "folder holding the CIFAR layout folder"),
    ("download", bool, True, "download CIFAR when missing (True/False)"),
    ("n_classes", int, 100, "number of classes"),
    ("batch_size", int, 128, "batch size (per device with --distribute)"),
    ("normalize", str, "cifar", "input normalisation: cifar (demo) or imagenet (paper code)", ("cifar", "imagenet")),
    ("num_workers", int, 2, "data pipeline workers (capped at the CPU count)"),
)
DEVICE = _flags(
    ("config", str, None, "YAML file whose keys are these flags"),
    ("device_target", str, "CPU", "device", ("CPU", "GPU", "Ascend")),
    ("device_id", int, 0, "device index"),
    ("mode", str, "graph", "execution mode", ("graph", "pynative")),
    ("seed", int, 0, "seed for initialisation, data order and augmentation"),
)
STUDENT = _flags(
    ("net", str, "ResNet", "network family (demo flag; the network is chosen by --net_name)"),
    ("n_layer", int, 14, "network depth (demo flag; the network is chosen by --net_name)"),
    ("net_name", str, "ResNet14", "network to train, e.g. ResNet14, ResNet110, WRN28-8, VGG8"),
)
TRAIN = _flags(
    ("epoches", int, 240, "number of training epochs (demo spelling)"),
    ("lr", float, 0.03, "base learning rate"),
    ("momentum", float, 0.9, "SGD momentum"),
    ("weight_decay", float, 0.0, "weight decay on all parameters (paper 5e-4, demo 0)"),
    ("lr_schedule", str, "demo", "paper (official PyTorch per-epoch) or demo (per-step warm-up + poly)",
     ("paper", "demo")),
    ("amp_level", str, "O0", "mixed precision level", ("O0", "O1", "O2", "O3")),
    ("log_dir", str, "./logs/", "folder of the log, metrics and effective config"),
    ("log_name", str, "classify.log", "log file the demo's block is appended to"),
    ("ckpt_dir", str, "./ckpts/", "checkpoint folder"),
    ("ckpt_name", str, None, "final checkpoint file name (default: {dataset}-{net_name}.ckpt; distill: "
                             "{dataset}-{t_net_name}-{net_name}-{kd_way}.ckpt)"),
    ("resume", bool, False, "continue an interrupted run from its resume checkpoint (True/False)"),
    ("overwrite", bool, False, "allow replacing an existing final checkpoint or starting over a half-done run"),
    ("on_nan", str, "stop", "non-finite loss: stop the run, or skip the batch", ("stop", "skip")),
    ("print_every", int, 50, "progress line every N steps (0: never)"),
    ("distribute", bool, False, "data-parallel training under msrun (True/False)"),
    ("lr_scale", str, "none", "with --distribute: scale lr linearly with the device count (linear) or not (none)",
     ("none", "linear")),
    ("sync_bn", bool, False, "with --distribute on GPU/Ascend: SyncBatchNorm in the student"),
)
KD = _flags(
    ("t_net", str, "ResNet", "teacher family (demo flag)"),
    ("t_n_layer", int, 14, "teacher depth (demo flag)"),
    ("t_net_name", str, "ResNet14", "teacher network"),
    ("t_ckpt", str, None, "teacher checkpoint (default: {ckpt_dir}/{dataset}-{t_net_name}.ckpt)"),
    ("kd_way", str, "ATS", "ATS, TS or none", ("ATS", "TS", "none")),
    ("s_tau", float, 1.0, "student temperature"),
    ("t_tau", float, 3.0, "teacher temperature of the wrong classes (TS: of every class)"),
    ("tp_tau", float, 4.0, "teacher temperature of the correct class (ATS)"),
    ("lamb", float, 0.5, "weight of the KD term in [0, 1]"),
    ("fold_teacher_bn", bool, True, "fold the frozen teacher's BatchNorms into its convolutions (same logits up to "
                                    "float rounding, ~10 % faster ResNet110 -> VGG8 steps on CPU)"),
)
DISTILL_STUDENT = {"net": "VGG", "n_layer": 8, "net_name": "VGG8"}

COMMAND_FLAGS = {
    "classify": {**DEVICE, **DATA, **STUDENT, **TRAIN},
    "distill": {**DEVICE, **DATA, **{k: Flag(k, f.type, DISTILL_STUDENT[k], f.help) for k, f in STUDENT.items()},
                **TRAIN, **KD},
}


def _type_name(flag):
    return {str: "a string", int: "an integer", float: "a number", bool: "a boolean (true/false)"}[flag.type]


def coerce(flag, value, where):
    """Return ``value`` converted to ``flag.type`` or raise UserError saying ``where`` it came from."""
    if value is None:
        return None
    try:
        if flag.type is bool:
            value = str2bool(value)
        elif flag.type is int:
            if isinstance(value, bool) or not isinstance(value, (int, str)) or isinstance(value, float):
                raise ValueError
            value = int(value)
        elif flag.type is float:
            if isinstance(value, bool):
                raise ValueError
            value = float(value)
        elif not isinstance(value, str):
            raise ValueError
    except (ValueError, TypeError, argparse.ArgumentTypeError):
        raise UserError(f"{where}: {flag.name}={value!r} has the wrong type; expected {_type_name(flag)}")
    if flag.choices and value not in flag.choices:
        lowered = {c.lower(): c for c in flag.choices}
        if isinstance(value, str) and value.lower() in lowered:
            return lowered[value.lower()]
        raise UserError(f"{where}: {flag.name}={value!r} is not allowed; expected one of {', '.join(flag.choices)}")
    return value


def load_yaml(path, flags):
    """Read a flat YAML config; returns {key: coerced value}. Unknown keys, syntax and type errors raise UserError."""
    import yaml
    if not os.path.isfile(path):
        raise UserError(f"--config {path}: no such file; expected a YAML file whose keys are flags")
    try:
        with open(path, encoding="utf-8") as f:
            data = yaml.safe_load(f)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise UserError(f"--config {path}: YAML syntax error{where} ({getattr(exc, 'problem', exc)}); expected "
                        f"flat 'key: value' lines")
    data = data or {}
    if not isinstance(data, dict):
        raise UserError(f"--config {path}: top level is {type(data).__name__}; expected a mapping of flag: value")
    unknown = sorted(k for k in data if k not in flags or k == "config")
    if unknown:
        raise UserError(f"--config {path}: unknown key(s) {', '.join(map(str, unknown))}; expected flags of this "
                        f"command: {', '.join(k for k in flags if k != 'config')}")
    return {k: coerce(flags[k], v, f"--config {path}") for k, v in data.items()}


def build_parser(prog, flags, description=""):
    """argparse parser with every flag defaulting to SUPPRESS (so only explicit command-line values appear)."""
    parser = ArgumentParser(prog=prog, description=description, argument_default=argparse.SUPPRESS)
    for flag in flags.values():
        kind = str2bool if flag.type is bool else flag.type
        default = "" if flag.default is None else f" (default: {flag.default})"
        parser.add_argument(f"--{flag.name}", type=kind, help=flag.help + default,
                            metavar=flag.type.__name__.upper())
    return parser


def resolve(prog, flags, argv, description=""):
    """Parse ``argv`` and return (config Namespace, {key: source}) with defaults < YAML < command line."""
    cli = vars(build_parser(prog, flags, description).parse_args(argv))
    config = {k: f.default for k, f in flags.items()}
    sources = dict.fromkeys(config, "default")
    path = cli.get("config")
    if path:
        for key, value in load_yaml(path, flags).items():
            config[key], sources[key] = value, "yaml"
    for key, value in cli.items():
        config[key], sources[key] = coerce(flags[key], value, "command line"), "cli"
    return argparse.Namespace(**config), sources


def save_effective(config, path):
    """Write the effective config as YAML (keys are flags; reusable with --config) atomically."""
    import yaml
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        yaml.safe_dump({k: v for k, v in vars(config).items() if k != "config"}, f, sort_keys=False)
    os.replace(tmp, path)
