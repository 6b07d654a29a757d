"""A flag (= YAML key) and how a value given for it is read: ``Flag`` describes one row of the flag table
(``ats_ms.config.flags``); ``coerce`` converts a value from the command line, a keyword or YAML to the flag's type,
canonical choice and checked range, or raises one ``UserError`` line naming the flag or key, the value and what was
expected. The official demo's spellings keep their meaning (``--download False``).
"""
import os
from dataclasses import dataclass, replace
from typing import Callable, Optional

from ats_ms.utils.checks import check_choice
from ats_ms.utils.errors import UserError

TRUE_WORDS = ("true", "1", "yes", "y", "on")
FALSE_WORDS = ("false", "0", "no", "n", "off")


@dataclass(frozen=True)
class Flag:
    """One flag (= YAML key).

    Args:
        name (str): flag name without dashes (also the YAML key).
        type (type): str, int, float or bool (of each item when ``many`` is set).
        default: value when neither YAML nor command line give one.
        help (str): one line for ``--help`` and docs/flags.md.
        group (str): ``--help`` section (data, networks, training, distillation, outputs, device, or a command's).
        choices (tuple): allowed values (strings compare case-insensitively).
        validate (callable | None): ``validate(label, value) -> value`` raising UserError (see
            ``ats_ms.utils.checks``).
        many (str): ``""`` one value, ``"csv"`` a comma-separated list (YAML: a list too), ``"unique"`` the same
            without repeated values, ``"repeat"`` a flag given several times; all give a tuple.
        volatile (bool): may change between an interrupted run and its resumption (not part of its identity).
        path (bool): names a file; compared as the file it names (``./ckpts/t.ckpt`` is ``ckpts/t.ckpt``).
        per_student (bool): may differ between the runs of one pack (method, hyper-parameters, output names).
        location (bool): says where a run's files are, not how it was trained (a sweep cell's name and folders).
        per_cell (bool): a sweep sets it for each cell itself (skipped in a sweep's YAML).
        output (str): ``"dir"``, ``"file"`` or ``"name"`` (a file name in a folder flag): checked writable and
            holdable by the file system before anything runs.
        chooses (tuple): the checkpoints whose record it selects (``teacher``, ``checkpoint``): changing it
            drops values adopted from that record.
        mapping (bool): YAML may give a mapping instead of the string (the check turns it into the string).
        default_help (str): how ``--help`` describes the default (e.g. "the method's") instead of its value.
        unread (bool): accepted for the official demo's command lines but never read (left out of the log block).
    """
    name: str
    type: type
    default: object
    help: str
    group: str
    choices: tuple = ()
    validate: Optional[Callable] = None
    many: str = ""
    volatile: bool = False
    path: bool = False
    per_student: bool = False
    location: bool = False
    per_cell: bool = False
    output: str = ""
    chooses: tuple = ()
    mapping: bool = False
    default_help: str = ""
    unread: bool = False

    def with_default(self, default):
        return replace(self, default=default)

    def describe(self):
        """The help text with the default and the allowed values."""
        extra = [f"default: {self.default_help or format_value(self.default)}"]
        if self.choices:
            extra.append(f"one of: {', '.join(map(str, self.choices))}")
        elif self.validate is not None and getattr(self.validate, "expected", None):
            extra.append(self.validate.expected)
        return f"{self.help} ({'; '.join(extra)})"


def format_value(value):
    if value is None:
        return "none"
    if isinstance(value, tuple):
        return ",".join(format_value(v) for v in value)
    return str(value)


def str2bool(value):
    """Parse True/False/1/0/yes/no/on/off (case-insensitive); anything else raises ValueError."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ValueError(f"{value!r} is not a boolean")


def _type_name(flag):
    name = {str: "a string", int: "an integer", float: "a number", bool: "a boolean (True/False)"}[flag.type]
    return f"comma-separated values, each {name}" if flag.many in ("csv", "unique") else name


def _convert(flag, value):
    if flag.mapping and isinstance(value, dict):
        return value
    if flag.type is bool:
        return str2bool(value)
    if flag.type is int:
        if isinstance(value, bool) or isinstance(value, float) or not isinstance(value, (int, str)):
            raise ValueError
        return int(value)
    if flag.type is float:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise ValueError
        return float(value)
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if not isinstance(value, str):
        raise ValueError
    return value


def coerce(flag, value, where):
    """``value`` converted to the flag's type, canonical choice and checked range, or UserError.

    ``where`` is ``"command line"`` (messages name ``--flag``) or ``"--config FILE"`` (messages name the file and key).
    """
    label = f"--{flag.name}" if where == "command line" else f"{where}: {flag.name}"
    if value is None:
        if flag.default is None:
            return None
        raise UserError(f"{label}=None is invalid; expected {_type_name(flag)}")
    if flag.many:
        items = value.split(",") if isinstance(value, str) and not flag.mapping else value
        if not isinstance(items, (list, tuple)):
            items = [items]
        items = [v.strip() if isinstance(v, str) else v for v in items]
        if not items or all(v == "" for v in items):
            expected = _type_name(flag) if flag.many != "repeat" else "a non-empty value, or the flag left out"
            raise UserError(f"{label}={value!r} is empty; expected {expected}")
        if "" in items:
            raise UserError(f"{label}={value!r} has an empty item; expected {_type_name(flag)}, without empty items")
        try:
            values = tuple(coerce(replace(flag, many=""), v, where) for v in items)
        except UserError as exc:
            if "has the wrong type" in str(exc):
                raise UserError(f"{label}={value!r} has the wrong type; expected {_type_name(flag)}") from None
            raise
        if flag.many == "unique" and len(set(values)) != len(values):
            raise UserError(f"{label}={value!r} repeats a value; expected each value once")
        return values
    try:
        value = _convert(flag, value)
    except (ValueError, TypeError):
        raise UserError(f"{label}={value!r} has the wrong type; expected {_type_name(flag)}")
    if flag.choices:
        value = check_choice(label, value, flag.choices)
    if flag.validate is not None:
        value = flag.validate(label, value)
    return value
