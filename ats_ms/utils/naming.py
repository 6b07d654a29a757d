"""File names of a run, in one place: checkpoints (the demo's names), best and resume checkpoints, metrics, effective
config."""
import os


def default_ckpt_name(config, command):
    """classify: {dataset}-{net_name}.ckpt (the demo's teacher name); distill: {dataset}-{t}-{s}-{kd_way}.ckpt."""
    if command == "distill":
        return f"{config.dataset}-{config.t_net_name}-{config.net_name}-{config.kd_way}.ckpt"
    return f"{config.dataset}-{config.net_name}.ckpt"


def teacher_ckpt_path(config):
    """--t_ckpt, or the demo's {ckpt_dir}/{dataset}-{t_net_name}.ckpt."""
    return config.t_ckpt or os.path.join(config.ckpt_dir, f"{config.dataset}-{config.t_net_name}.ckpt")


def stem(ckpt_name):
    base = os.path.basename(ckpt_name)
    return base[:-5] if base.endswith(".ckpt") else os.path.splitext(base)[0]


def run_paths(config):
    """Dict of the run's files: ckpt, best, resume, log, metrics, config."""
    s = stem(config.ckpt_name)
    return {
        "ckpt": os.path.join(config.ckpt_dir, config.ckpt_name),
        "best": os.path.join(config.ckpt_dir, f"{s}-best.ckpt"),
        "resume": os.path.join(config.ckpt_dir, f"{s}.resume.ckpt"),
        "log": os.path.join(config.log_dir, config.log_name),
        "metrics": os.path.join(config.log_dir, f"{s}.metrics.jsonl"),
        "config": os.path.join(config.log_dir, f"{s}.config.yaml"),
    }


def export_path(ckpt_dir, ckpt_name, file_format="MINDIR"):
    """The demo's export name: {ckpt_dir}/{stem}_mindir.mindir (AIR: {stem}_air.air)."""
    ext = file_format.lower()
    return os.path.join(ckpt_dir, f"{stem(ckpt_name)}_{ext}.{ext}")
