"""``python -m ats_ms classify``: train a teacher or a plain student (the demo's run_classify.py)."""
import sys

from ats_ms.cli.common import command_main, print_lines


def _train(config):
    from ats_ms.api import train
    train(config, emit=print_lines)
    return 0


main = command_main("classify", _train)

if __name__ == "__main__":
    sys.exit(main())
