"""``python -m ats_ms.utils.command_of CONFIG``: print ``distill`` if the YAML sets kd_way or t_net_name, else
``classify`` (used by the model-zoo scripts to pick the command of a config)."""
import sys

import yaml


def command_of(path):
    with open(path, encoding="utf-8") as f:
        data = yaml.safe_load(f) or {}
    return "distill" if isinstance(data, dict) and ("kd_way" in data or "t_net_name" in data) else "classify"


if __name__ == "__main__":
    print(command_of(sys.argv[1]))
