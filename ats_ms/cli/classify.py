"""``python -m ats_ms classify``: train a teacher or a plain student (the demo's run_classify.py)."""
import sys

from ats_ms.cli.train import make_main

main = make_main("classify")

if __name__ == "__main__":
    sys.exit(main())
