"""Argument parsing that fits the project: real booleans, and errors as one line with exit status 2."""
import argparse

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
        raise UserError(f"{self.prog}: {message}; expected the flags and values listed by {self.prog} --help")
