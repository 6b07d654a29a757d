"""What every command shares: the error edge (``error: ...`` and exit status 2), argument parsing helpers."""
import functools
import sys

from ats_ms.utils.args import ArgumentParser, str2bool  # noqa: F401 (re-exported for the commands)
from ats_ms.utils.errors import UserError

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


def add_device_args(parser):
    """--device_target and --device_id, as every command spells them."""
    from ats_ms.utils.device import DEVICES
    parser.add_argument("--device_target", default="CPU", choices=DEVICES)
    parser.add_argument("--device_id", type=int, default=0)
    return parser


def write_json(path, data):
    """Write ``data`` as indented JSON to ``path`` (the --json option of eval and bench)."""
    import json
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1)
