"""Where a config's values come from, with defaults < YAML (``--config``) < command line (or keyword overrides):
flat YAML files whose keys are flags (as mindcv), an argparse parser of the flag table (grouped ``--help`` with
defaults and allowed values, one ``error:`` line for bad input) and ``resolve``, which layers them.
"""
import argparse
import os

from ats_ms.config.flag import coerce
from ats_ms.utils.errors import UserError

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


def save_effective(config, path):
    """Write the effective config as YAML (keys are flags; reusable with --config) atomically."""
    import yaml

    from ats_ms.utils.files import write_text
    data = {k: list(v) if isinstance(v, tuple) else v for k, v in config.to_dict().items() if k != "config"}
    write_text(path, yaml.safe_dump(data, sort_keys=False))
