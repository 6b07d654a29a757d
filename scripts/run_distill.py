"""Shim with the demo's name: ``python scripts/run_distill.py FLAGS`` is ``python -m ats_ms distill FLAGS``."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from ats_ms.cli.distill import main  # noqa: E402

sys.exit(main())
