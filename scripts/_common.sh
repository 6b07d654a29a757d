#!/usr/bin/env bash
# Sourced by the run_*.sh scripts: finds the repository from the script's own path (so they work from any current
# directory), prepares .venv, and defines ATS (python -m ats_ms with the venv's python).
# Paths given to the commands (./data, ./ckpts, ./logs) are relative to the current directory, as in the demo.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_help.sh"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/_venv.sh"
EPOCHES="${EPOCHES:-2}"
DEVICE="${DEVICE:-CPU}"
DATA_DIR="${DATA_DIR:-./data}"
ats() { "$PY" -m ats_ms "$@"; }
echo "(epoches=$EPOCHES for demo, change to 240 for training; device $DEVICE)"
