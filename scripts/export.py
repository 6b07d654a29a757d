"""Shim with the demo's name: ``python scripts/export.py FLAGS`` is ``python -m ats_ms export FLAGS``."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from ats_ms.cli.export import main  # noqa: E402

sys.exit(main())
