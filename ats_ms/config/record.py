"""What a checkpoint carries: the recipe of the run that wrote it.

Every checkpoint ats_ms writes (classify, distill, sweep cells, convert, best and resume) stores a JSON record under
``ats_record``: net_name, net_style, n_classes, dataset, normalize, image_size, transform, class_names (the data's,
in label order) and, for students, kd_way, every hyper-parameter
of the method registry (null where the method ignores it) and the teacher's name. Readers (the teacher of
``distill``, ``eval``, ``export``, ``analyze``) take network, classes, data and normalisation from it; a value given
explicitly (command line, keyword or YAML) that contradicts the record is a UserError naming both. Checkpoints
without a record (the official demo's, older ones) are read with the flags, as before; a record written before
image sizes were recorded reads as 32x32. A teacher (or an evaluated checkpoint) whose recorded class names differ
from the data's is refused.
"""
import json

from ats_ms.losses import registry
from ats_ms.models.checkpoint import RECORD_KEY, read_meta
from ats_ms.utils.errors import UserError

KEY = RECORD_KEY
FORMAT = 1
NETWORK_FIELDS = ("net_name", "net_style", "n_classes", "dataset", "normalize")  # every record has them
LEGACY_IMAGE_SIZE = 32  # records written before image_size was recorded
# flag -> record field, for a checkpoint read as the network itself (eval, export, analyze) or as a teacher.
DATA_FIELDS = ("image_size", "transform")  # recorded since image files came; older records: 32x32, no transform
AS_NETWORK = {name: name for name in NETWORK_FIELDS + DATA_FIELDS}
AS_TEACHER = {"t_net_name": "net_name", "t_net_style": "net_style", "n_classes": "n_classes", "dataset": "dataset",
              "normalize": "normalize", "image_size": "image_size", "transform": "transform"}


def kd_fields():
    """The distillation fields of a record: every registered method's keys (as registered now) and the teacher."""
    return registry.per_method_keys() + ("t_net_name",)


def network_record(command, **fields):
    """A record of ``command`` with ``fields`` (at least NETWORK_FIELDS)."""
    from ats_ms import __version__
    missing = [name for name in NETWORK_FIELDS if name not in fields]
    if missing:
        raise ValueError(f"a record needs {', '.join(missing)}")
    return {"format": FORMAT, "ats_ms": __version__, "command": command, **fields}


def make_record(config, **extra):
    """The record of a run's network (``config`` of classify or distill), plus ``extra`` fields."""
    from ats_ms.data.registry import get_dataset
    record = network_record(config.command, **{name: getattr(config, name) for name in NETWORK_FIELDS + DATA_FIELDS},
                            class_names=list(get_dataset(config.dataset).classes(config.data_dir)))
    settings = config.to_dict()
    if "kd_way" in settings:
        record.update({name: settings.get(name) for name in kd_fields()})
        record.update(dict.fromkeys(registry.ignored_flags(settings["kd_way"])))
    record.update(extra)
    return record


def encode(record):
    """The checkpoint metadata entry holding ``record``."""
    return {KEY: json.dumps(record, sort_keys=True)}


def read_record(path):
    """The record of checkpoint ``path``, or None for a checkpoint without one (missing/corrupt files raise)."""
    raw = read_meta(path, KEY)
    if raw is None:
        return None
    try:
        record = json.loads(raw)
    except ValueError:
        raise UserError(f"checkpoint {path} has an unreadable record; expected a checkpoint written by ats_ms")
    if not isinstance(record, dict) or not all(k in record for k in NETWORK_FIELDS):
        raise UserError(f"checkpoint {path} has an incomplete record; expected a checkpoint written by ats_ms")
    record.setdefault("image_size", LEGACY_IMAGE_SIZE)
    return record


def _names_text(names):
    shown = ", ".join(names[:4]) + (f", ... ({len(names)} classes)" if len(names) > 4 else "")
    return f"[{shown}]"


def check_class_names(record, dataset, data_dir, what):
    """Refuse a checkpoint whose recorded class names (or their order) differ from the data's: one UserError naming
    both and the first difference. A record without class names (older ones, converted files) is refused only when
    its class count differs from the data's; no record: nothing to compare."""
    if not record:
        return
    from ats_ms.data.registry import get_dataset
    entry = get_dataset(dataset)
    recorded = record.get("class_names")
    if not recorded:
        count = entry.class_count(data_dir)
        if record.get("n_classes") not in (None, count):
            raise UserError(f"{what} has {record['n_classes']} classes, but the {entry.name} data under {data_dir} "
                            f"has {count}; expected a checkpoint of {count} classes (fine-tune it first: classify "
                            f"--init_ckpt)")
        return
    names = list(entry.classes(data_dir))
    if list(recorded) == names:
        return
    if sorted(recorded) == sorted(names):
        first = next(i for i, (a, b) in enumerate(zip(recorded, names)) if a != b)
        raise UserError(f"{what} orders its classes differently from the {dataset} data under {data_dir}: class "
                        f"{first} is {recorded[first]!r} there and {names[first]!r} here; expected the same class "
                        f"order")
    only_ckpt = [n for n in recorded if n not in set(names)]
    only_data = [n for n in names if n not in set(recorded)]
    raise UserError(f"{what} was trained on classes {_names_text(list(recorded))}, but the {dataset} data under "
                    f"{data_dir} has {_names_text(names)} (only in the checkpoint: {_names_text(only_ckpt)}; only in "
                    f"the data: {_names_text(only_data)}); expected the same classes")


def adopt(values, sources, record, mapping, what):
    """Take values from ``record`` for flags left at their default; refuse explicit values that contradict it.

    Args:
        values (dict): flag values (updated in place).
        sources (dict): where each value came from (``default``, ``yaml``, ``given``); adopted values become
            ``record`` (updated in place).
        record (dict | None): the checkpoint's record (None: nothing to do).
        mapping (dict): flag -> record field.
        what (str): the checkpoint, for messages (e.g. ``teacher checkpoint ckpts/x.ckpt``).

    Raises:
        UserError: an explicit value differs from the record.
    """
    if record is None:
        return values
    for flag, field in mapping.items():
        if flag not in values or record.get(field) is None:
            continue
        recorded = record[field]
        if sources.get(flag, "default") in ("default", "record"):
            values[flag], sources[flag] = recorded, "record"
        elif values[flag] != recorded:
            if sources.get(flag) == "yaml":
                raise UserError(f"{flag}: {values[flag]} in the --config YAML contradicts {what}, recorded with "
                                f"{field} {recorded}; expected {flag}: {recorded} there, or leave the key out")
            raise UserError(f"--{flag}={values[flag]} contradicts {what}, recorded with {field} {recorded}; "
                            f"expected --{flag} {recorded}, or leave --{flag} out")
    return values


def adopt_checkpoint(values, sources, path, mapping, what, data_dir=None):
    """Read the record of checkpoint ``path``, ``adopt`` it into ``values`` through ``mapping`` and, with
    ``data_dir``, refuse it unless its class names are the data's (``check_class_names``). Returns the record (None
    for a checkpoint without one). Every reader of a checkpoint's record (a distillation's teacher, ``eval``,
    ``export``, ``analyze``) goes through here."""
    record = read_record(path)
    adopt(values, sources, record, mapping, what)
    if data_dir is not None:
        check_class_names(record, values["dataset"], data_dir, what)
    return record
