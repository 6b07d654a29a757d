"""``python -m ats_ms <command> [flags]`` (also ``ats-ms``): load the plugins (``ats_ms.plugins``), then dispatch to
``ats_ms.cli.<command>.main``."""
import importlib
import os
import sys


def main(argv=None):
    """Run the command named by argv[0]; returns its exit status."""
    from ats_ms.config.flags import COMMANDS
    from ats_ms.plugins import ENVIRONMENT, GROUP, load_plugins, split_plugin_flags
    from ats_ms.utils.errors import UserError
    argv = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("GLOG_v", "3")
    try:
        load_plugins(split_plugin_flags(argv)[0])
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: python -m ats_ms <command> [flags] [--plugin MODULE ...]    (python -m ats_ms <command> --help: "
              f"its flags)\n\nplugins (modules registering methods, networks, datasets): --plugin MODULE, "
              f"${ENVIRONMENT} (comma-separated), entry points of the group {GROUP}\n\ncommands:")
        for name, command in COMMANDS.items():
            print(f"  {name:10s} {command.summary}")
        return 0 if argv else 2
    name = argv[0]
    if name not in COMMANDS:
        print(f"error: unknown command {name!r}; expected one of {', '.join(COMMANDS)}", file=sys.stderr)
        return 2
    return importlib.import_module(f"ats_ms.cli.{name}").main(argv[1:])


if __name__ == "__main__":
    sys.exit(main())
