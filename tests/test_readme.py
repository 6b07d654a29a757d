"""README stays true: its usage example runs, and every classify/distill flag is in its table."""
import os
import re
import subprocess
import sys
from pathlib import Path

from ats_ms.utils.config import COMMAND_FLAGS

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_usage_example_runs(tmp_path):
    block = re.search(r"<!-- tested-example -->\n```python\n(.*?)```", README, re.S)
    assert block, "README lost its tested example"
    script = tmp_path / "example.py"
    script.write_text(block.group(1))
    proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=600,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "teacher unchanged" in proc.stdout


def test_every_flag_is_documented():
    for command in ("classify", "distill"):
        for name in COMMAND_FLAGS[command]:
            assert f"| `--{name}` |" in README, name
