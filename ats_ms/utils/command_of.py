"""``python -m ats_ms.utils.command_of CONFIG``: print ``sweep`` if the YAML sets grid, seeds or the classic grid's
tp_taus/t_taus (configs/compare), ``distill`` if it sets kd_way, t_net_name or t_ckpt, else ``classify`` (used by
the model-zoo scripts to pick the command of a config)."""
import sys

import yaml

SWEEP_KEYS = ("grid", "seeds", "tp_taus", "t_taus")
DISTILL_KEYS = ("kd_way", "t_net_name", "t_ckpt")


def command_of(path):
    with open(path, encoding="utf-8") as f:
        data = yaml.safe_load(f) or {}
    if not isinstance(data, dict):
        return "classify"
    if any(key in data for key in SWEEP_KEYS):
        return "sweep"
    return "distill" if any(key in data for key in DISTILL_KEYS) else "classify"


if __name__ == "__main__":
    print(command_of(sys.argv[1]))
