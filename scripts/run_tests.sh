#!/usr/bin/env bash
# Creates or reuses .venv in the repository root, installs requirements.txt into it and runs pytest in two processes
# (tests marked with one xdist_group, which share a session fixture, run in the same one).
#   bash scripts/run_tests.sh [pytest args...]        e.g. -m "not slow" (skips end-to-end runs, msrun, soaks)
# Environment:
#   ATS_WITH_TORCH=1     also install torch==2.13.0 from pip's index (a CPU build where the index serves one; elsewhere
#                        first: pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu) so the
#                        PyTorch parity tests run (CI sets it; a plain run skips those tests instead of downloading
#                        torch).
#   ATS_TEST_WORKERS=N   pytest processes (default 2; 0 runs in this process).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source "$ROOT/scripts/_venv.sh"
if [ "${ATS_WITH_TORCH:-0}" = "1" ]; then
  "$PY" -c "import torch" 2>/dev/null || "$PY" -m pip install --quiet "torch==2.13.0"
fi
exec "$PY" -m pytest -q -n "${ATS_TEST_WORKERS:-2}" --dist loadgroup "$@" tests
