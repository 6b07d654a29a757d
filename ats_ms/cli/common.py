"""What every command shares: argv -> validated config (through the flag table and ``ats_ms.make_config``), and the
error edge (``error: ...`` and exit status 2; 3 for a non-finite loss)."""
import functools
import gc
import sys

from ats_ms.utils.errors import COMMAND_LINE, UserError


def print_lines(line):
    """The command line's console: print and flush (progress reaches a pipe or a log file at once)."""
    print(line, flush=True)


def train_command(config):
    """What ``classify`` and ``distill`` run: ``ats_ms.train`` with its lines on the console; exit status 0."""
    from ats_ms.api import train
    train(config, emit=print_lines)
    return 0


def guarded(main):
    """Decorate ``main(argv) -> int`` so UserError prints one ``error:`` line and returns 2 (3 for NaN/inf loss)."""
    @functools.wraps(main)
    def wrapper(argv=None):
        from ats_ms.utils.errors import NonFiniteLoss
        token = COMMAND_LINE.set(True)  # messages keep the flags' spelling (the API's name keywords)
        try:
            return main(argv)
        except NonFiniteLoss as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 3
        except UserError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        except RuntimeError as exc:  # a UserError raised inside a data pipeline worker (an unreadable image)
            inner = pipeline_user_error(exc)
            if inner is None:
                raise
            print(f"error: {inner}", file=sys.stderr)
            return 2
        except MemoryError:
            print("error: out of memory; expected smaller sizes (--batch_size, --pack, --num_workers, --max_train)",
                  file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print("error: interrupted", file=sys.stderr)
            return 130
        finally:
            COMMAND_LINE.reset(token)
    return wrapper


def pipeline_user_error(exc):
    """The message of a UserError that a data pipeline worker raised, from the RuntimeError MindSpore wraps it in
    (its text holds the worker's traceback ending in ``UserError: message``); None for any other error."""
    marker = "UserError: "
    for line in str(exc).splitlines():
        if line.startswith(marker):
            return line[len(marker):]
    return None


def parse(command, argv):
    """The validated config of ``python -m ats_ms COMMAND ARGV`` (``--help`` prints the grouped flags and exits)."""
    from ats_ms.config.flags import COMMANDS, GROUP_ORDER, flags_of
    from ats_ms.config.make import make_config
    from ats_ms.config.sources import parse_argv
    from ats_ms.plugins import load_plugins, split_plugin_flags
    plugins, argv = split_plugin_flags(argv)
    load_plugins(plugins)  # (loaded once: python -m ats_ms has loaded them already)
    given = parse_argv(f"python -m ats_ms {command}", flags_of(command), argv, COMMANDS[command].description +
                       " Plugins: --plugin MODULE (repeatable), $ATS_MS_PLUGINS, entry points ats_ms.plugins.",
                       GROUP_ORDER)
    return make_config(command, given.pop("config", None), **given)


def resume_command(command, argv, config):
    """The command line that continues an interrupted ``command``: the same one, with ``--resume True`` for a run
    (a sweep resumes its cells by itself)."""
    import shlex
    words = " ".join(shlex.quote(str(a)) for a in argv)
    needs_flag = "resume" in config.to_dict() and not config.resume
    return f"python -m ats_ms {command} {words}".rstrip() + (" --resume True" if needs_flag else "")


def command_main(command, action):
    """``main(argv)`` of a command: parse into a config, then ``action(config) -> exit status``; Ctrl-C during
    training prints where the resume files are and the command that resumes, and exits 130.

    After parsing, garbage is collected and the objects that remain (mostly imported modules, MindSpore's included)
    are frozen out of the cyclic garbage collector: MindSpore runs a full collection before every graph compile,
    which then scans only what the run itself creates."""
    @guarded
    def main(argv=None):
        from ats_ms.utils.errors import Interrupted
        argv = sys.argv[1:] if argv is None else list(argv)
        config = parse(command, argv)
        gc.collect()
        gc.freeze()
        try:
            return action(config)
        except Interrupted as exc:
            again = f"; resume with: {resume_command(command, argv, config)}" if exc.resumable else ""
            print(f"error: {exc}{again}", file=sys.stderr)
            return 130
        except KeyboardInterrupt:
            if command != "sweep":
                raise
            print(f"error: interrupted between packs; finished cells and epochs are kept; resume with: "
                  f"{resume_command(command, argv, config)}", file=sys.stderr)
            return 130
    main.__doc__ = f"python -m ats_ms {command}: parse argv, run, return the exit status."
    return main
