"""The one table of flags (= YAML keys) of every command: type, default, group, allowed values and range.

Allowed values are defined once: the registries' names (datasets, networks, methods), the data's normalisations
and recipes, and ``ats_ms.config.allowed`` for the engine's choices (learning-rate schedules, AMP levels, ...).
Every command takes a subset of ``FLAGS`` (``COMMANDS``), a few with a command-specific default (the demo's distill
student is VGG8). ``FLAGS``
and ``COMMANDS`` are built from the method registry when first read, and again after a method is registered (a
user's or a plugin's, at any time). ``python -m ats_ms.config.flags`` prints docs/flags.md.
"""
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from ats_ms.config.allowed import AMP_LEVELS, EXPORT_FORMATS, LR_SCALES, ON_NAN, SCHEDULES
from ats_ms.config.flag import Flag, format_value
from ats_ms.data.plans import PLANS
from ats_ms.data.registry import IMAGE_SIZE_RANGE, SPLITS, check_dataset
from ats_ms.data.transforms import NORMALIZATIONS, RECIPES
from ats_ms.losses import registry
from ats_ms.models.init import STUDENT_INITS
from ats_ms.models.registry import NET_STYLES, check_net_name
from ats_ms.sweep.grid import GRID_EXAMPLE, check_grid, check_heatmap
from ats_ms.utils.checks import (
    BATCH_RANGE,
    CLASS_RANGE,
    EPOCH_RANGE,
    NON_NEGATIVE,
    NON_NEGATIVE_INT,
    POSITIVE,
    POSITIVE_INT,
    SEED_RANGE,
    check_pair,
    check_temperature,
    range_check,
)
from ats_ms.utils.device import DEVICES, MODES
from ats_ms.verify.losses import CLASS_COUNTS, TOLERANCES

MOMENTUM_RANGE = range_check(0, 1, high_open=True)
CHECK_CLASS_RANGE = range_check(3, 10_000, integer=True)  # DKD needs 3


def _flags(*rows):
    return {flag.name: flag for flag in rows}


def row(name, type_, default, help_, group, choices=(), validate=None, many="", **facts):
    """One Flag of the table (positional arguments in the table's column order)."""
    return Flag(name, type_, default, help_, group, tuple(choices), validate, many, **facts)


def _method_rows():
    """kd_way and one row per hyper-parameter of the registered methods (default: the method's)."""
    methods = registry.methods()
    summaries = "; ".join(f"{m.name}: {m.summary}" for m in methods)
    rows = [row("kd_way", str, "ATS", f"distillation method (any case): {summaries}",
              "distillation", registry.names(), per_student=True, per_cell=True)]
    for h in registry.hyper_parameters().values():
        defaults = ", ".join(f"{m.name} {format_value(m.defaults()[h.name])}" for m in methods
                             if h.name in m.hyper_names)
        rows.append(row(h.name, h.type, None, h.help, "distillation", validate=h.validate, per_student=True,
                      default_help=f"the method's ({defaults})"))
    return rows


def _build_flags():
    """Every flag row, the method rows from the registry as it is now."""
    return _flags(
    row("config", str, None, "YAML file whose keys are flags (command-line flags override it)", "general",
      volatile=True, per_student=True),
    # device
    row("device_target", str, "CPU", "device", "device", DEVICES),
    row("device_id", int, 0, "device index (under msrun: the worker's DEVICE_ID unless given)", "device",
      validate=NON_NEGATIVE_INT, volatile=True),
    row("mode", str, "graph", "execution mode", "device", MODES, volatile=True),
    row("seed", int, 0, "seed for initialisation, data order and augmentation", "device", validate=SEED_RANGE,
      per_cell=True),
    row("dataset_sink_mode", bool, None, "feed the device through a data sink (none: True on GPU/Ascend, False on "
                                       "CPU); the non-finite check then runs once per epoch", "device"),
    # data
    row("dataset", str, "cifar100", "dataset", "data", validate=check_dataset, chooses=("teacher",)),
    row("data_dir", str, "./data/", "folder holding the dataset (its top folder, or the folder that holds it)", "data",
      volatile=True),
    row("download", bool, True, "download CIFAR when missing", "data", volatile=True),
    row("n_classes", int, None, "number of classes (none: the checkpoint's record, else the dataset's, read from its "
                              "files for folder)", "data", validate=CLASS_RANGE),
    row("image_size", int, None, "height and width of the network's input (none: the checkpoint's record, else the "
                               "dataset's: 32 for CIFAR and digits, 64 for tiny-imagenet, 224 for the others)", "data",
      validate=IMAGE_SIZE_RANGE),
    row("transform", str, None, "transform recipe (none: the dataset's): crop (resize if needed, RandomCrop with "
                              "padding size/8, flip) or resized-crop (RandomResizedCrop and flip; evaluation "
                              "Resize(size*8/7) and CenterCrop, torchvision's ImageNet recipe)", "data",
      tuple(RECIPES)),
    row("batch_size", int, 128, "batch size (per device with --distribute)", "data", validate=BATCH_RANGE),
    row("normalize", str, None, "input normalisation: cifar (the demo) or imagenet (the paper's code, its published "
                              "teachers and torchvision's); none: the checkpoint's record, else the dataset's (cifar "
                              "for CIFAR and digits, imagenet for the others)", "data", tuple(NORMALIZATIONS)),
    row("drop_last", bool, None, "drop the last partial training batch (none: True with --net_style demo, as the "
                               "demo's loader; False otherwise, as the official PyTorch code)", "data"),
    row("num_workers", int, 0, "data pipeline workers (0: one per CPU core, at most 8)", "data",
      validate=NON_NEGATIVE_INT, volatile=True),
    row("max_train", int, 0, "use only the first N training images (0: all)", "data", validate=NON_NEGATIVE_INT),
    row("max_test", int, 0, "use only the first N test images (0: all)", "data", validate=NON_NEGATIVE_INT),
    row("split", str, "train", "split whose images are analysed", "data", SPLITS),
    # networks
    row("net", str, "ResNet", "network family (demo flag; the network is chosen by --net_name)", "networks",
      unread=True),
    row("n_layer", int, 14, "network depth (demo flag; the network is chosen by --net_name)", "networks",
      validate=POSITIVE_INT, unread=True),
    row("net_name", str, "ResNet14", "network", "networks",
      validate=check_net_name),
    row("net_style", str, "paper", "paper: the official PyTorch networks; demo: the official MindSpore demo's ResNet "
                                 "and VGG (padding, BatchNorm, initialisers)", "networks", NET_STYLES),
    row("student_init", str, "auto", "student initialisation: network (its own), weights_init (the official "
                                   "distillation script's), auto (weights_init for distill with --lr_schedule "
                                   "paper, else network)", "networks", STUDENT_INITS),
    row("init_ckpt", str, None, "start the network (a distillation's student) from this checkpoint (ours, or converted "
                              "from PyTorch/torchvision); with another class count the classifier is re-initialised "
                              "and the record says so", "networks", path=True),
    # training
    row("epoches", int, 240, "number of training epochs (demo spelling)", "training", validate=EPOCH_RANGE),
    row("lr", float, 0.03, "base learning rate", "training", validate=POSITIVE),
    row("momentum", float, 0.9, "SGD momentum", "training", validate=MOMENTUM_RANGE),
    row("weight_decay", float, 0.0, "weight decay on all parameters (paper 5e-4, demo 0)", "training",
      validate=NON_NEGATIVE),
    row("lr_schedule", str, "demo", "paper (official PyTorch per-epoch), demo (per-step warm-up + poly) or step (x0.1 "
                                  "after 30/60/90 % of the epochs, the ImageNet recipe)", "training", SCHEDULES),
    row("amp_level", str, "O0", "mixed precision level", "training", AMP_LEVELS),
    row("resume", bool, False, "continue an interrupted run from its resume checkpoint", "training", volatile=True,
      per_student=True, per_cell=True),
    row("on_nan", str, "stop", "non-finite loss: stop the run, or skip the batch (the schedule still advances)",
      "training", ON_NAN),
    row("distribute", bool, False, "data-parallel training under msrun", "training"),
    row("lr_scale", str, "none", "with --distribute: scale lr linearly with the device count (linear) or not",
      "training", LR_SCALES),
    row("sync_bn", bool, False, "with --distribute on GPU/Ascend: SyncBatchNorm in the student", "training"),
    # distillation
    row("t_net", str, "ResNet", "teacher family (demo flag; the teacher is chosen by --t_net_name)", "distillation",
      unread=True),
    row("t_n_layer", int, 14, "teacher depth (demo flag; the teacher is chosen by --t_net_name)", "distillation",
      validate=POSITIVE_INT, unread=True),
    row("t_net_name", str, "ResNet14", "teacher network (taken from the teacher checkpoint's record when not given)",
      "distillation", validate=check_net_name, chooses=("teacher",)),
    row("t_net_style", str, "paper", "teacher network style (taken from the record when not given)", "distillation",
      NET_STYLES),
    row("t_ckpt", str, None, "teacher checkpoint (default: {ckpt_dir}/{dataset}-{t_net_name}.ckpt)", "distillation",
      path=True, chooses=("teacher",)),
    *_method_rows(),
    row("fold_teacher_bn", bool, True, "fold the frozen teacher's BatchNorms into its convolutions (same logits up "
                                     "to float rounding, faster)", "distillation"),
    # outputs
    row("log_dir", str, "./logs/", "folder of the log, metrics and effective config", "outputs", volatile=True,
      per_cell=True),
    row("log_name", str, "classify.log", "log file the demo's block is appended to", "outputs", per_student=True,
      location=True, per_cell=True, output="name"),
    row("ckpt_dir", str, "./ckpts/", "checkpoint folder", "outputs", location=True,
      chooses=("teacher", "checkpoint")),
    row("ckpt_name", str, None, "checkpoint file name (default: {dataset}-{net_name}.ckpt; distill: "
                              "{dataset}-{t_net_name}-{net_name}-{kd_way}.ckpt)", "outputs", per_student=True,
      location=True, per_cell=True, output="name", chooses=("checkpoint",)),
    row("overwrite", bool, False, "allow replacing an existing checkpoint or starting over a half-done run", "outputs",
      volatile=True, per_student=True, per_cell=True),
    row("print_every", int, 50, "progress line every N steps (0: never)", "outputs", validate=NON_NEGATIVE_INT,
      volatile=True),
    row("json", str, None, "also write the result as JSON to this file", "outputs", output="file"),
    row("out_dir", str, None, "output folder", "outputs", output="dir"),
    # eval / export / convert
    row("ckpt", str, None, "checkpoint path (overrides --ckpt_dir/--ckpt_name)", "networks", chooses=("checkpoint",)),
    row("device", str, None, "the demo's spelling of --device_target", "device", DEVICES),
    row("file_format", str, "MINDIR", "MINDIR, or AIR on Ascend", "outputs", EXPORT_FORMATS),
    row("src", str, None, "PyTorch .pth state_dict to convert", "networks"),
    row("dst", str, None, "MindSpore .ckpt file to write (never overwritten unless --overwrite)", "outputs",
      output="file"),
    # analyze
    row("taus", float, None, "TS temperatures (default: the paper's 0.05 ... 10.0)", "analysis",
      validate=check_temperature, many="unique"),
    row("pairs", str, None, "extra ATS pairs tp_tau:t_tau, e.g. 4:2,6:3", "analysis", validate=check_pair, many="csv"),
    row("student_net_name", str, None, "student network of --student_ckpt (default: from its record)", "analysis",
      validate=check_net_name),
    row("student_ckpt", str, None, "student whose probabilities enter the decomposition (default: a uniform "
                                 "student)", "analysis"),
    row("max_images", int, 0, "use only the first N images (0: all)", "analysis", validate=NON_NEGATIVE_INT),
    # sweep
    row("grid", str, None, f"a group of cells: kd_way=METHOD and a comma-separated value list per hyper-parameter, "
                         f"one cell per combination, e.g. {GRID_EXAMPLE}; repeat for more groups (YAML: grid: a list "
                         f"of mappings); kd_way=others: every method without a group of its own, at its defaults. "
                         f"Without it: the classic ATS grid --tp_taus x --t_taus", "sweep",
      validate=check_grid, many="repeat", mapping=True),
    row("heatmap", str, None, "the two numeric axes of a method's report heatmap, METHOD:AXIS,AXIS (default: per "
                            "method, its first two axes with several values)", "sweep", validate=check_heatmap),
    row("tp_taus", float, (1.0, 2.0, 3.0, 4.0, 5.0, 6.0), "correct-class temperatures of the classic ATS grid", "sweep",
      validate=check_temperature, many="unique"),
    row("t_taus", float, (1.0, 2.0, 3.0, 4.0, 5.0), "wrong-class temperatures of the classic ATS grid", "sweep",
      validate=check_temperature, many="unique"),
    row("seeds", int, (0,), "seeds (each cell runs once per seed)", "sweep", validate=SEED_RANGE, many="unique"),
    row("pack", int, 0, "cells (of one seed) trained together, sharing one teacher forward (0: as many as the memory "
                      "estimate allows; 1: one at a time)", "sweep", validate=NON_NEGATIVE_INT),
    row("report_only", bool, False, "only gather the finished cells into the table and figure", "sweep"),
    row("claim_timeout", float, 1800.0, "seconds after which another machine's claim that its worker no longer "
                                      "refreshes is taken over (a claim of this machine: when its process is gone)",
      "sweep", validate=POSITIVE),
    # bench
    row("steps", int, 10, "timed steps per row and round", "bench", validate=POSITIVE_INT),
    row("rounds", int, 3, "alternating rounds over the rows (medians reported)", "bench", validate=POSITIVE_INT),
    row("torch", bool, False, "also time a PyTorch twin step (needs torch)", "bench"),
    row("methods", bool, False, "also time a pack of one student per distillation method against a pack of as many "
                              "ATS students (the peers' losses' cost per cell)", "bench"),
    row("pipelines", bool, False, "time only the image-file pipeline (decode, transform recipe, batch) at 64x64 and "
                                "224x224 against a torch DataLoader doing torchvision's work on the same files with "
                                "as many workers (needs torch; --data_dir: an ImageFolder, else synthetic JPEGs)",
      "bench"),
    row("profile", bool, False, "also time each part of the step and its oneDNN kernels (child process)", "bench"),
    row("threads", int, 0, "CPU kernel threads (0: MindSpore's default)", "bench", validate=NON_NEGATIVE_INT),
    # check
    row("dtype", str, "float32", "logit dtype of the loss check", "check", tuple(TOLERANCES)),
    row("models", bool, False, "also check the networks' forward pass against the numpy reference", "check"),
    row("classes", int, CLASS_COUNTS, "class counts of the loss check (each its own compiled graph)", "check",
      validate=CHECK_CLASS_RANGE, many="unique"),
    row("jobs", int, 0, "processes compiling the loss grid in parallel (0: up to 3 on CPU, 1 on GPU/Ascend)", "check",
      validate=NON_NEGATIVE_INT),
    # demo
    row("plan", str, None, "digits, or cifar100 (default: cifar100 when --data_dir holds it)", "demo", tuple(PLANS)),
    row("teacher_epochs", int, None, "teacher epochs (default: the plan's)", "demo", validate=EPOCH_RANGE),
    row("student_epochs", int, None, "student epochs (default: the plan's)", "demo", validate=EPOCH_RANGE),
    row("small", str, None, "small teacher (default ResNet14)", "demo", validate=check_net_name),
    row("large", str, None, "large teacher (default ResNet32)", "demo", validate=check_net_name),
    row("student", str, None, "student (default ResNet8)", "demo", validate=check_net_name),
    )


@dataclass(frozen=True)
class Command:
    """A command: one-line summary, description, flags (names in ``FLAGS``), its own defaults and flag variants,
    whether it reads the keys it needs from a YAML of another command (``yaml_lenient``), the keys of a training
    YAML it sets itself (``yaml_skips``: skipped in its YAML, unknown on its command line), whether ``ats_ms.train``
    runs it (``trains``) and which checkpoint's record it adopts (``record``: ``teacher`` or ``checkpoint``)."""
    summary: str
    description: str
    flags: tuple
    defaults: dict = field(default_factory=dict)
    variants: dict = field(default_factory=dict)
    yaml_lenient: bool = False
    yaml_skips: tuple = ()
    trains: bool = False
    record: str = ""


def _names(text):
    return tuple(text.split())


DEVICE = _names("device_target device_id")
DATA = _names("dataset data_dir download n_classes image_size transform batch_size normalize num_workers")
TRAIN = _names("config") + DEVICE + _names("mode seed dataset_sink_mode") + DATA + _names("drop_last") + _names(
    "max_train max_test net n_layer net_name net_style init_ckpt epoches lr momentum weight_decay lr_schedule "
    "amp_level "
    "resume on_nan distribute lr_scale sync_bn log_dir log_name ckpt_dir ckpt_name overwrite print_every")
DEMO_STUDENT = {"net": "VGG", "n_layer": 8, "net_name": "VGG8"}
WITHOUT_RECORD = "of a checkpoint without a record (a checkpoint's record sets it; a different value is an error)"


def _build_commands(flags):
    """Every command, its flags from ``flags`` (the table as it is now)."""
    kd = ("student_init",) + tuple(name for name, flag in flags.items() if flag.group == "distillation")
    sweep_sets = tuple(name for name, flag in flags.items() if flag.per_cell)
    return {
    "classify": Command("train a teacher or a plain student with cross-entropy (demo run_classify.py flags)",
                        "Train a network with cross-entropy (a teacher, or a student without KD). Accepts every "
                        "flag of the official demo's run_classify.py. --init_ckpt fine-tunes a checkpoint (e.g. an "
                        "ImageNet teacher converted from torchvision).", TRAIN, trains=True),
    "distill": Command("distill a frozen teacher into a student with ATS or a peer method (demo run_distill.py flags)",
                       f"Distill a frozen teacher into a student with one of the methods {', '.join(registry.names())}"
                       f" (--kd_way; a method's hyper-parameters default to its authors' values). Accepts every flag "
                       f"of the official demo's run_distill.py.", TRAIN + kd, DEMO_STUDENT, trains=True,
                       record="teacher"),
    "sweep": Command("grids of methods and hyper-parameters from one teacher (the paper's tp_tau x t_tau by "
                     "default), cells packed to share its forward",
                     "Distillations over grids of methods and hyper-parameters (--grid; default: the paper's ATS "
                     "tp_tau x t_tau grid, Fig. 10) and seeds from one teacher: cells of a seed are trained in packs "
                     "that share one teacher forward, whatever their methods; resumable; any number of workers share "
                     "the grid through claim files; mean, std, the best cell per method and heatmaps. Hyper-parameter "
                     "flags and YAML keys give every cell's values unless its --grid group sets them. It sets each "
                     f"cell's {', '.join(sweep_sets)} itself: these keys of a training YAML are skipped.",
                     tuple(n for n in TRAIN + kd if n not in sweep_sets) + _names(
                         "grid tp_taus t_taus heatmap seeds out_dir pack report_only claim_timeout"),
                     DEMO_STUDENT, yaml_skips=sweep_sets, record="teacher"),
    "eval": Command("top-1/top-5 of a checkpoint on the test split",
                    "Top-1/top-5 (and the demo's batch-mean accuracy) of a checkpoint on the test split. A "
                    "checkpoint written by ats_ms needs no other flag.",
                    _names("config") + DEVICE + _names("mode seed") + DATA + _names(
                        "max_test net_name net_style ckpt_dir ckpt_name ckpt json"),
                    {"net_name": "VGG8"},
                    {"net_name": {"help": f"network {WITHOUT_RECORD}"},
                     "ckpt_name": {"help": "checkpoint file name in --ckpt_dir (or --ckpt PATH)"}},
                    yaml_lenient=True, record="checkpoint"),
    "export": Command("export a checkpoint to MINDIR (AIR on Ascend) with the demo's file name",
                      "Export a checkpoint to MINDIR (AIR on Ascend) with the demo's file name "
                      "{ckpt_dir}/{ckpt_name stem}_mindir.mindir.",
                      _names("config") + DEVICE + _names("device n_classes image_size t_net_name net_name net_style "
                                                         "ckpt_dir ckpt_name ckpt file_format overwrite"),
                      {"net_name": "VGG8", "ckpt_name": "cifar100-ResNet14.ckpt", "n_classes": 100},
                      {"n_classes": {"help": f"number of classes {WITHOUT_RECORD}"},
                       "net_name": {"help": f"network {WITHOUT_RECORD}"},
                       "ckpt_name": {"help": "checkpoint file name in --ckpt_dir (the demo's default)"}},
                      yaml_lenient=True, record="checkpoint"),
    "analyze": Command("teacher wrong-class statistics e(q), sigma(q) under TS vs ATS (paper Figs. 7/13)",
                       "A teacher's wrong-class statistics e(q), sigma(q) under TS vs ATS (the paper's Figs. 7/13) "
                       "and the three terms of the KD loss; CSV, JSON, PNG and text charts.",
                       _names("config") + DEVICE + DATA + _names(
                           "split max_images net_name ckpt t_net_name t_ckpt ckpt_dir ckpt_name taus pairs "
                           "student_net_name student_ckpt out_dir"),
                       {"out_dir": "./outputs/analyze", "net_name": None, "batch_size": 256},
                       {"net_name": {"many": "csv"}, "ckpt": {"many": "repeat"}}, yaml_lenient=True),
    "bench": Command("time the fused step, a demo-style step, an epoch, packed students, the pipeline, PyTorch",
                     "Time our fused distillation step, a demo-style step, an epoch, the data pipeline, K students "
                     "sharing a teacher (--pack) and PyTorch (--torch), in alternating rounds.",
                     DEVICE + _names("t_net_name net_name batch_size n_classes image_size data_dir num_workers steps "
                                     "rounds pack methods pipelines torch profile threads fold_teacher_bn json"),
                     {"t_net_name": "ResNet110", "net_name": "VGG8", "n_classes": 100, "image_size": 32},
                     {"pack": {"help": "also time K students sharing one teacher forward, and the data pipeline "
                                       "(0: neither)"}}),
    "demo": Command("the main job: small and large teacher, students without KD / TS / ATS over seeds",
                    "The main job: a small and a large teacher; students without KD, with TS and with ATS from each "
                    "(packs sharing the teacher, several seeds); table with mean and std, and a figure.",
                    DEVICE + _names("data_dir out_dir plan seeds teacher_epochs student_epochs small large student "
                                    "max_train max_test"),
                    {"out_dir": "./outputs/demo", "seeds": (0, 1, 2), "max_train": None, "max_test": None},
                    {"seeds": {"help": "seeds of the students (the teachers use seed 0)", "group": "demo"},
                     "max_train": {"help": "use only the first N training images (none: the plan's, 0: all)"},
                     "max_test": {"help": "use only the first N test images (none: the plan's, 0: all)"}}),
    "check": Command("numerical check of the losses (and --models: the networks) against the numpy reference",
                     "Check the loss Cells (and with --models the networks) on a device against the float64 numpy "
                     "reference; exits 0 only if every row passes.",
                     DEVICE + _names("mode dtype models classes image_size jobs"), {"image_size": 32}),
    "convert": Command("PyTorch .pth state_dict (published teachers) to a MindSpore checkpoint with its record",
                       "Convert a PyTorch state_dict (e.g. the published cifar100-WRN28-8-E240.pth) into a "
                       "MindSpore checkpoint that records its network and normalisation. Read with "
                       "weights_only=True (no code from the file runs).",
                       _names("net_name n_classes image_size dataset normalize src dst overwrite"),
                       {"net_name": None, "n_classes": None, "normalize": "imagenet"}),
    }
GROUP_ORDER = ("general", "data", "networks", "training", "distillation", "outputs", "device")


class _Derived(Mapping):
    """A read-only mapping built by ``build()`` when first read, and again whenever a method has been registered
    since (``registry.generation()``): the flag rows of a method registered after ``import ats_ms`` exist."""

    def __init__(self, build):
        self._build, self._generation, self._value = build, None, None

    def _current(self):
        generation = registry.generation()
        if generation != self._generation:
            self._value, self._generation = self._build(), generation
        return self._value

    def __getitem__(self, name):
        return self._current()[name]

    def __iter__(self):
        return iter(self._current())

    def __len__(self):
        return len(self._current())


FLAGS = _Derived(_build_flags)
COMMANDS = _Derived(lambda: _build_commands(FLAGS))


def keys_where(attribute, command=None):
    """Names of the flags (of ``command``, else of every command) whose row has ``attribute`` set."""
    rows = flags_of(command) if command else FLAGS
    return tuple(name for name, flag in rows.items() if getattr(flag, attribute))


def flags_of(command):
    """{name: Flag} of ``command`` with its own defaults and variants applied."""
    spec = COMMANDS[command]
    out = {}
    for name in spec.flags:
        flag = FLAGS[name]
        if name in spec.variants:
            flag = replace(flag, **spec.variants[name])
        if name in spec.defaults:
            flag = flag.with_default(spec.defaults[name])
        out[name] = flag
    return out


def yaml_ignored(command):
    """YAML keys ``command`` skips: flags of the other commands when it reads a training YAML, and the keys it
    sets itself."""
    spec = COMMANDS[command]
    return (set(FLAGS) - set(spec.flags) if spec.yaml_lenient else set()) | set(spec.yaml_skips)


def markdown():
    """docs/flags.md: every command's flags by group, with defaults and allowed values (generated)."""
    lines = ["# Every flag (= YAML key)", "",
             "Generated by `python -m ats_ms.config.flags > docs/flags.md` from the flag table "
             "`ats_ms/config/flags.py`; a test checks that this file is current. Precedence: defaults < `--config` "
             "YAML < command line. Booleans accept True/False, 1/0, yes/no; a bare boolean flag means True.", ""]
    for command, spec in COMMANDS.items():
        lines += [f"## {command}", "", spec.description, "", "| flag | type | default | meaning |",
                  "|---|---|---|---|"]
        flags = flags_of(command)
        for group in GROUP_ORDER + tuple(sorted({f.group for f in flags.values()} - set(GROUP_ORDER))):
            for flag in (f for f in flags.values() if f.group == group):
                kind = flag.type.__name__ + (" list" if flag.many else "")
                allowed = f" (one of: {', '.join(map(str, flag.choices))})" if flag.choices else \
                    (f" ({flag.validate.expected})" if getattr(flag.validate, "expected", None) else "")
                default = flag.default_help or format_value(flag.default)
                lines.append(f"| `--{flag.name}` | {kind} | {default} | {group}: {flag.help}"
                             f"{allowed} |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown())
