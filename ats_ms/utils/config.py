"""Flags, YAML configs and their precedence: defaults < YAML (``--config``) < command line (or keyword overrides).

Every flag is also a YAML key with the same name (flat YAML, as mindcv). A flag is described once, by a ``Flag`` in
``ats_ms.flags``: type, default, group, allowed values and range check. This module turns such a table into an
argparse parser (grouped ``--help`` with defaults and allowed values), reads YAML files, coerces and checks values
(one ``UserError`` line naming the flag or key, the value and what was expected) and holds the result in a read-only
``RunConfig``. The official demo's flags keep their spelling and meaning (``--epoches``, ``--download False``).
"""
import argparse
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


TWICE = "given twice"


def _unique_key_loader():
    """yaml's SafeLoader refusing a mapping that gives a key twice (yaml itself keeps the last value silently)."""
    import yaml

    class UniqueKeyLoader(yaml.SafeLoader):
        def construct_mapping(self, node, deep=False):
            seen = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                if key in seen:
                    raise yaml.constructor.ConstructorError(None, None, f"the key {key!r} is {TWICE}",
                                                            key_node.start_mark)
                seen.add(key)
            return super().construct_mapping(node, deep)

    return UniqueKeyLoader


def load_yaml(path, flags, ignored=()):
    """Read a flat YAML config; returns {key: coerced value} for the keys in ``flags``.

    Keys in ``ignored`` (flags of other commands) are skipped; any other unknown key, a syntax error or a bad value
    raises UserError.
    """
    import yaml
    if os.path.isdir(path):
        raise UserError(f"--config {path} is a folder; expected a YAML file whose keys are flags")
    if not os.path.isfile(path):
        raise UserError(f"--config {path}: no such file; expected a YAML file whose keys are flags")
    try:
        with open(path, encoding="utf-8") as f:
            data = yaml.load(f, Loader=_unique_key_loader())
    except yaml.YAMLError as exc:
        if str(getattr(exc, "problem", "")).endswith(TWICE):
            raise UserError(f"--config {path}: line {exc.problem_mark.line + 1}: {exc.problem}; expected each key "
                            f"once") from None
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise UserError(f"--config {path}: YAML syntax error{where} ({getattr(exc, 'problem', exc)}); expected "
                        f"flat 'key: value' lines")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"--config {path} cannot be read ({exc}); expected a UTF-8 YAML file")
    data = data or {}
    if not isinstance(data, dict):
        raise UserError(f"--config {path}: top level is {type(data).__name__}; expected a mapping of flag: value")
    unknown = sorted(str(k) for k in data if (k not in flags or k == "config") and k not in ignored)
    if unknown:
        raise UserError(f"--config {path}: unknown key(s) {', '.join(unknown)}; expected flags of this command: "
                        f"{', '.join(k for k in flags if k != 'config')}")
    return {k: coerce(flags[k], v, f"--config {path}") for k, v in data.items() if k in flags and k != "config"}


class ArgumentParser(argparse.ArgumentParser):
    """argparse with exit status 2 and a single ``error: ...`` line (no usage block)."""

    def error(self, message):
        raise UserError(f"{self.prog}: {message}; expected the flags and values listed by {self.prog} --help")


def build_parser(prog, flags, description="", group_order=()):
    """argparse parser of ``flags`` in groups titled by their names (``group_order`` first); every flag defaults to
    SUPPRESS, so only given values appear; abbreviations are not accepted (``--tp_tau`` is not ``--tp_taus``)."""
    parser = ArgumentParser(prog=prog, description=description, argument_default=argparse.SUPPRESS,
                            formatter_class=argparse.RawDescriptionHelpFormatter, allow_abbrev=False)
    order = list(group_order) + sorted({f.group for f in flags.values()} - set(group_order))
    groups = {}
    for name in order:
        if any(f.group == name for f in flags.values()):
            groups[name] = parser.add_argument_group(name)
    for flag in flags.values():
        kwargs = {"help": flag.describe().replace("%", "%%"), "metavar": flag.type.__name__.upper()}
        if flag.type is bool and not flag.many:
            kwargs.update(nargs="?", const="True", metavar="BOOL")
        if flag.many == "repeat":
            kwargs["action"] = "append"
        groups[flag.group].add_argument(f"--{flag.name}", **kwargs)
    return parser


def parse_argv(prog, flags, argv, description="", group_order=()):
    """Parse ``argv``; returns {flag: raw value} of the flags given on the command line."""
    return vars(build_parser(prog, flags, description, group_order).parse_args(argv))


def resolve(flags, config_file=None, overrides=None, ignored=(), where="command line"):
    """Values and sources with defaults < YAML < overrides.

    Args:
        flags (dict[str, Flag]): the command's flags.
        config_file (str | None): YAML file.
        overrides (dict): explicit values (command line or keyword arguments); unknown names raise UserError.
        ignored (iterable): YAML keys to skip (flags of other commands).

    Returns:
        tuple[dict, dict]: {flag: value}, {flag: "default" | "yaml" | "given"}.
    """
    overrides = dict(overrides or {})
    unknown = sorted(k for k in overrides if k not in flags)
    if unknown:
        raise UserError(f"unknown flag(s) {', '.join(unknown)}; expected flags of this command: "
                        f"{', '.join(k for k in flags if k != 'config')}")
    values = {k: f.default for k, f in flags.items()}
    sources = dict.fromkeys(values, "default")
    if config_file:
        values["config"], sources["config"] = os.fspath(config_file), "given"
        for key, value in load_yaml(os.fspath(config_file), flags, ignored).items():
            values[key], sources[key] = value, "yaml"
    for key, value in overrides.items():
        if key == "config":
            values[key], sources[key] = value, "given"
            continue
        values[key], sources[key] = coerce(flags[key], value, where), "given"
    return values, sources


_TOKEN = object()


class RunConfig:
    """A validated configuration: one value per flag of ``command``, read-only.

    Made only by ``ats_ms.make_config`` (so code that receives one knows every value was checked). Values are
    attributes (``config.lr``); ``sources[name]`` says where each came from (``default``, ``yaml``, ``given``,
    ``record``: taken from a checkpoint's record, or ``environment``: msrun's DEVICE_ID). ``trains`` says whether
    ``ats_ms.train`` runs it and ``needs_teacher`` whether it reads a teacher; ``facts[attribute]`` are the flags
    whose table rows have that attribute (``volatile``, ``path``, ``per_student``) and ``defaults`` the command's
    defaults, so code below the flag table needs no import of it. ``replace(**changes)`` returns a new,
    re-validated config. A RunConfig can be copied, deep-copied and pickled (multiprocessing, external schedulers).
    """

    __slots__ = ("command", "sources", "_values", "_remake", "trains", "needs_teacher", "facts", "defaults")

    def __init__(self, command, values, sources, remake, token=None, trains=False, needs_teacher=False, facts=None,
                 defaults=None):
        if token is not _TOKEN:
            raise TypeError("a RunConfig is made by ats_ms.make_config(command, config_file=None, **overrides)")
        for name, value in (("command", command), ("sources", dict(sources)), ("_values", dict(values)),
                            ("_remake", remake), ("trains", bool(trains)), ("needs_teacher", bool(needs_teacher)),
                            ("facts", dict(facts or {})), ("defaults", dict(defaults or {}))):
            object.__setattr__(self, name, value)

    def __getattr__(self, name):
        if name.startswith("__") or name in RunConfig.__slots__:
            raise AttributeError(name)
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(f"{self.command} config has no flag {name!r}") from None

    def __setattr__(self, name, value):
        raise AttributeError("a RunConfig is read-only; use config.replace(name=value)")

    def __reduce__(self):
        return (_restore, (self.command, self._values, self.sources, self._remake, self.trains, self.needs_teacher,
                           self.facts, self.defaults))

    def __eq__(self, other):
        return isinstance(other, RunConfig) and (self.command, self._values, self.sources) == \
            (other.command, other._values, other.sources)

    def __hash__(self):
        return hash((self.command, tuple(sorted((k, repr(v)) for k, v in self._values.items()))))

    def __repr__(self):
        return f"RunConfig({self.command!r}, " + ", ".join(f"{k}={v!r}" for k, v in self._values.items()) + ")"

    def to_dict(self):
        """{flag: value} (a copy)."""
        return dict(self._values)

    def replace(self, **changes):
        """A new config with ``changes`` applied as given values and validated again."""
        return self._remake(self, changes)


def _restore(command, values, sources, remake, trains, needs_teacher, facts, defaults):
    return RunConfig(command, values, sources, remake, _TOKEN, trains, needs_teacher, facts, defaults)


def new_config(command, values, sources, remake, trains=False, needs_teacher=False, facts=None, defaults=None):
    """Make a RunConfig (for ``ats_ms.api`` only, after every check passed)."""
    return RunConfig(command, values, sources, remake, _TOKEN, trains, needs_teacher, facts, defaults)


def save_effective(config, path):
    """Write the effective config as YAML (keys are flags; reusable with --config) atomically."""
    import yaml

    from ats_ms.utils.files import write_text
    data = {k: list(v) if isinstance(v, tuple) else v for k, v in config.to_dict().items() if k != "config"}
    write_text(path, yaml.safe_dump(data, sort_keys=False))
