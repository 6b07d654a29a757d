#!/usr/bin/env bash
# Sourced by the scripts: creates or reuses $ROOT/.venv, installs requirements.txt and the package (editable) when
# they changed, exports PY.
ROOT="${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
VENV="$ROOT/.venv"
PYTHON_BIN="${PYTHON:-python3}"
if [ ! -x "$VENV/bin/python" ]; then
  echo "[setup] creating $VENV" >&2
  "$PYTHON_BIN" -m venv "$VENV"
fi
PY="$VENV/bin/python"
STAMP="$VENV/.requirements.sha256"
WANT="$(cat "$ROOT/requirements.txt" "$ROOT/pyproject.toml" | sha256sum | cut -d' ' -f1)"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$WANT" ]; then
  echo "[setup] installing requirements.txt into $VENV (first run takes about a minute)" >&2
  "$PY" -m pip install --quiet --upgrade pip >&2
  "$PY" -m pip install --quiet -r "$ROOT/requirements.txt" >&2
  "$PY" -m pip install --quiet --no-deps -e "$ROOT" >/dev/null 2>&1 || "$PY" -m pip install --no-deps -e "$ROOT" >&2
  echo "$WANT" > "$STAMP"
fi
export PY
export PATH="$VENV/bin:$PATH"  # msrun starts workers with the python on PATH
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
