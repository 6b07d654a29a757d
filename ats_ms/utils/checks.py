"""The validators: every value check of the project, used by the flag table and by the public Cells alike.

Each ``check_*`` returns the (converted) value or raises ``UserError`` (a ``ValueError``) with one line naming the
parameter, the value and what was expected. ``label`` is how the value is named in the message (``tp_tau`` for a
loss argument, ``--tp_tau`` for a flag). The ``*_check`` factories build checks for the flag table.
"""
import math
import os

from ats_ms.utils.errors import UserError


def _number(label, value, expected):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise UserError(f"{label}={value!r} is not a number; expected {expected}")
    return value


def check_unit_interval(label, value):
    """``value`` as float if it lies in [0, 1]."""
    value = float(_number(label, value, "a number in [0, 1]"))
    if not 0.0 <= value <= 1.0:
        raise UserError(f"{label}={value!r} is invalid; expected a number in [0, 1]")
    return value


check_unit_interval.expected = "a number in [0, 1]"


def check_bool(label, value):
    """``value`` if it is a boolean (True/False; YAML's and the command line's spellings are parsed earlier)."""
    if not isinstance(value, bool):
        raise UserError(f"{label}={value!r} is not a boolean; expected True or False")
    return value


check_bool.expected = "True or False"


def check_choice(label, value, choices):
    """The canonical spelling of ``value`` among ``choices`` (strings compare case-insensitively)."""
    for choice in choices:
        if value == choice or (isinstance(value, str) and isinstance(choice, str) and value.lower() == choice.lower()):
            return choice
    raise UserError(f"{label}={value!r} is not allowed; expected one of {', '.join(map(str, choices))}")


def check_pair(label, value):
    """A ``tp_tau:t_tau`` pair (e.g. ``4:2``) as two temperatures."""
    if isinstance(value, (tuple, list)) and len(value) == 2:
        parts = value
    else:
        parts = str(value).split(":")
        if len(parts) != 2:
            raise UserError(f"{label}={value!r} is invalid; expected tp_tau:t_tau pairs like 4:2,6:3")
    try:
        return tuple(check_temperature(label, float(v)) for v in parts)
    except ValueError:
        raise UserError(f"{label}={value!r} is invalid; expected tp_tau:t_tau pairs like 4:2,6:3") from None


check_pair.expected = "tp_tau:t_tau pairs of temperatures in [1e-4, 1e4]"


def range_check(low=None, high=None, low_open=False, high_open=False, integer=False):
    """A check accepting numbers in the given range (``None``: unbounded); NaN and inf are always refused.

    Example: ``range_check(0, 1, high_open=True)`` accepts [0, 1).
    """
    def text(bound):
        return str(int(bound)) if integer else f"{bound:g}"

    parts = []
    if low is not None:
        parts.append(f"> {text(low)}" if low_open else f">= {text(low)}")
    if high is not None:
        parts.append(f"< {text(high)}" if high_open else f"<= {text(high)}")
    kind = "an integer" if integer else "a finite number"
    expected = f"{kind} {' and '.join(parts)}".strip()
    if low is not None and high is not None:
        left, right = "(" if low_open else "[", ")" if high_open else "]"
        expected = f"{kind} in {left}{text(low)}, {text(high)}{right}"

    def check(label, value):
        _number(label, value, expected)
        if integer and not isinstance(value, int):
            raise UserError(f"{label}={value!r} is not an integer; expected {expected}")
        ok = math.isfinite(value)
        ok = ok and (low is None or (value > low if low_open else value >= low))
        ok = ok and (high is None or (value < high if high_open else value <= high))
        if not ok:
            raise UserError(f"{label}={value!r} is invalid; expected {expected}")
        return value

    check.expected = expected
    return check


TEMPERATURE_RANGE = (1e-4, 1e4)
_TEMPERATURE = range_check(*TEMPERATURE_RANGE)


def check_temperature(label, value):
    """``value`` as float if it is a temperature in ``TEMPERATURE_RANGE`` (logits / tau stay finite in float32)."""
    return float(_TEMPERATURE(label, value))


check_temperature.expected = _TEMPERATURE.expected
POSITIVE = range_check(0, low_open=True)
SEED_RANGE = range_check(0, 2**32 - 1, integer=True)
BATCH_RANGE = range_check(1, 2**31 - 1, integer=True)  # MindSpore's limit
EPOCH_RANGE = range_check(1, 100_000, integer=True)  # the per-step learning rates are held in memory
CLASS_RANGE = range_check(1, 100_000, integer=True)
NON_NEGATIVE = range_check(0)
POSITIVE_INT = range_check(1, integer=True)
NON_NEGATIVE_INT = range_check(0, integer=True)


TEMPORARY_MARGIN = 24  # bytes ``files.atomic_path`` adds to a name: ".{name}.tmp-{pid}{ext}"


def _nearest_existing(path):
    while not os.path.exists(path):
        path = os.path.dirname(path)
    return path


def name_limit(folder):
    """The longest file name (bytes) the file system holding ``folder`` (or its nearest existing parent) accepts."""
    try:
        return os.pathconf(_nearest_existing(os.path.abspath(os.fspath(folder))), "PC_NAME_MAX")
    except (OSError, ValueError):
        return 255


def check_names_fit(flag, value, folder, names, margin=TEMPORARY_MARGIN, components=True):
    """``value`` if every file name in ``names`` (written in ``folder`` through a temporary name ``margin`` bytes
    longer) and, with ``components``, every folder name of ``folder`` fit the file system's name limit; UserError
    naming the flag."""
    limit = name_limit(folder)
    parts = [(p, 0) for p in os.path.abspath(os.fspath(folder)).split(os.sep) if p] if components else []
    parts += [(n, margin) for n in names]
    for name, extra in parts:
        size = len(os.fsencode(name)) + extra
        if size > limit:
            shown = name if len(name) <= 40 else f"{name[:20]}...{name[-12:]}"
            raise UserError(f"--{flag}: the name {shown!r} is too long for the file system ({size} bytes with what "
                            f"ats_ms adds, limit {limit}); expected a shorter name")
    return value


def check_output_dir(flag, folder):
    """``folder`` if it is a writable folder or can be created (its nearest existing parent is a writable folder)
    and its names fit the file system; nothing is created."""
    check_names_fit(flag, folder, folder, ())
    path = os.path.abspath(os.fspath(folder))
    if os.path.exists(path) and not os.path.isdir(path):
        raise UserError(f"--{flag}={folder} is a file; expected a folder")
    existing = _nearest_existing(path)
    if not os.path.isdir(existing) or not os.access(existing, os.W_OK | os.X_OK):
        raise UserError(f"--{flag}={folder} cannot be created or written ({existing} is not a writable folder); "
                        f"expected a writable folder")
    return folder


def check_output_file(flag, path):
    """``path`` if it can be written: not a folder, in a folder that is writable or can be created."""
    full = os.path.abspath(os.fspath(path))
    if os.path.isdir(full):
        raise UserError(f"--{flag}={path} is a folder; expected a file path")
    check_names_fit(flag, path, os.path.dirname(full), (os.path.basename(full),))
    try:
        check_output_dir(flag, os.path.dirname(full))
    except UserError:
        raise UserError(f"--{flag}={path}: its folder {os.path.dirname(full)} cannot be created or written; "
                        f"expected a file in a writable folder") from None
    return path
