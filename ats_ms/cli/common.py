"""What every command shares: boolean parsing and the error edge (``error: ...`` and exit status 2)."""
import argparse
import functools
import sys

from ats_ms.utils.errors import UserError

TRUE_WORDS = ("true", "1", "yes", "y", "on")
FALSE_WORDS = ("false", "0", "no", "n", "off")


def str2bool(value):
    """Parse True/False/1/0/yes/no/on/off (case-insensitive) as argparse ``type``; anything else is an error."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise argparse.ArgumentTypeError(f"{value!r} is not a boolean; expected True/False (also 1/0, yes/no)")


class ArgumentParser(argparse.ArgumentParser):
    """argparse with exit status 2 and a single ``error: ...`` line (no usage block)."""

    def error(self, message):
        raise UserError(f"{self.prog}: {message}")


def guarded(main):
    """Decorate ``main(argv) -> int`` so UserError and file errors print one ``error:`` line and return 2."""
    @functools.wraps(main)
    def wrapper(argv=None):
        try:
            return main(argv)
        except UserError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print("error: interrupted", file=sys.stderr)
            return 130
    return wrapper
