"""``python -m ats_ms.utils.flags_table``: the Markdown table of every classify/distill flag (= YAML key) for README."""
from ats_ms.utils.config import COMMAND_FLAGS


def markdown():
    classify, distill = COMMAND_FLAGS["classify"], COMMAND_FLAGS["distill"]
    lines = ["| flag / YAML key | type | default | classify | distill | meaning |", "|---|---|---|---|---|---|"]
    for name, flag in distill.items():
        default = flag.default
        if name in classify and classify[name].default != default:
            default = f"{classify[name].default} (distill: {default})"
        choices = f" ({'/'.join(flag.choices)})" if flag.choices else ""
        lines.append(f"| `--{name}` | {flag.type.__name__} | {default} | {'yes' if name in classify else ''} | yes | "
                     f"{flag.help}{choices} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown())
