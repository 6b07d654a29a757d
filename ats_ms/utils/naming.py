"""File names of a run, in one place: checkpoints (the demo's names), best and resume checkpoints, metrics, effective
config. Each function reads the flags it needs from ``values``, a mapping of flag values (a resolved flag dict, or
``RunConfig.to_dict()``)."""
import os


def default_ckpt_name(values, command):
    """classify: {dataset}-{net_name}.ckpt (the demo's teacher name); distill: {dataset}-{t}-{s}-{kd_way}.ckpt."""
    if command == "distill":
        return f"{values['dataset']}-{values['t_net_name']}-{values['net_name']}-{values['kd_way']}.ckpt"
    return f"{values['dataset']}-{values['net_name']}.ckpt"


def teacher_ckpt_path(values):
    """--t_ckpt, or the demo's {ckpt_dir}/{dataset}-{t_net_name}.ckpt."""
    return values["t_ckpt"] or os.path.join(values["ckpt_dir"], f"{values['dataset']}-{values['t_net_name']}.ckpt")


def stem(ckpt_name):
    base = os.path.basename(ckpt_name)
    return base[:-5] if base.endswith(".ckpt") else os.path.splitext(base)[0]


def run_paths(values):
    """Dict of the run's files (from ``ckpt_dir``, ``log_dir``, ``ckpt_name``, ``log_name``): ckpt, best, resume,
    log, metrics, config."""
    ckpt_dir, log_dir, s = values["ckpt_dir"], values["log_dir"], stem(values["ckpt_name"])
    return {
        "ckpt": os.path.join(ckpt_dir, values["ckpt_name"]),
        "best": os.path.join(ckpt_dir, f"{s}-best.ckpt"),
        "resume": os.path.join(ckpt_dir, f"{s}.resume.ckpt"),
        "log": os.path.join(log_dir, values["log_name"]),
        "metrics": os.path.join(log_dir, f"{s}.metrics.jsonl"),
        "config": os.path.join(log_dir, f"{s}.config.yaml"),
    }


def export_path(ckpt_dir, ckpt_name, file_format="MINDIR"):
    """The demo's export name: {ckpt_dir}/{stem}_mindir.mindir (AIR: {stem}_air.air)."""
    ext = file_format.lower()
    return os.path.join(ckpt_dir, f"{stem(ckpt_name)}_{ext}.{ext}")
