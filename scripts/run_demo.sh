#!/usr/bin/env bash
# README's first command: set up .venv and run the main job (ATS end to end on the embedded digits data, or on a
# CIFAR-100 subset when $ROOT/data holds CIFAR-100). Works from any directory. Extra flags go to `python -m ats_ms demo`.
#   DATA_DIR (default: <repo>/data)   OUT_DIR (default: <repo>/outputs/demo)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/_venv.sh"
exec "$PY" -m ats_ms demo --data_dir "${DATA_DIR:-$ROOT/data}" --out_dir "${OUT_DIR:-$ROOT/outputs/demo}" "$@"
