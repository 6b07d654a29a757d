"""Per-kernel profile of each part of a distillation step (``bench --profile``).

oneDNN (MindSpore's CPU kernel library for convolution, pooling, batch norm and matmul) reports every kernel it runs
when ``ONEDNN_VERBOSE=1`` is in the environment before its first kernel, so the parts are timed in a child process
with that variable set. For each part of ``ats_ms.bench.parts.PARTS`` the result holds the wall seconds per step, the
oneDNN seconds per step by kernel category, the rest (MindSpore's own kernels: elementwise, loss, optimizer) and the
convolution shapes that cost most, with their GFLOP/s. On GPU/Ascend there is no oneDNN: only wall times are filled.
"""
import json
import os
import re
import subprocess
import sys

from ats_ms.bench.parts import PARTS, time_part
from ats_ms.utils.errors import UserError

MARK = "@@ats_ms_bench_part"
CATEGORIES = ("conv fwd", "conv bwd-data", "conv bwd-weights", "pooling", "batch norm", "matmul", "other oneDNN")
HEADERS = ("conv fwd", "conv bwdD", "conv bwdW", "pooling", "batchnorm", "matmul", "oneDNN oth")
_CONV = re.compile(r"mb(\d+)_(?:g(\d+))?ic(\d+)oc(\d+)_ih\d+oh(\d+)kh(\d+)\D.*_iw\d+ow(\d+)kw(\d+)\D")


def category(kind, prop_kind):
    """Our category of one oneDNN kernel, from its primitive kind and propagation kind."""
    if kind == "convolution":
        return {"backward_data": "conv bwd-data", "backward_weights": "conv bwd-weights"}.get(prop_kind, "conv fwd")
    return {"pooling": "pooling", "batch_normalization": "batch norm", "matmul": "matmul",
            "inner_product": "matmul"}.get(kind, "other oneDNN")


def conv_gflop(problem):
    """GFLOP of one convolution from its oneDNN problem string (None when it cannot be read)."""
    m = _CONV.match(problem + "_")
    if not m:
        return None
    mb, groups, ic, oc, oh, kh, ow, kw = (int(v) if v else 1 for v in m.groups())
    return 2.0 * mb * oc * (ic // groups) * oh * ow * kh * kw / 1e9


def conv_label(problem):
    """Short label of a convolution problem, e.g. ``ic16 oc16 out 32x32 k3 s1``."""
    m = re.match(r"mb\d+_(?:g\d+)?ic(\d+)oc(\d+)_ih\d+oh(\d+)kh(\d+)sh(\d+)", problem)
    ow = re.search(r"ow(\d+)", problem)
    if not m or not ow:
        return problem
    ic, oc, oh, kh, sh = m.groups()
    return f"ic{ic} oc{oc} out {oh}x{ow.group(1)} k{kh} s{sh}"


def parse_verbose(lines, steps):
    """Aggregate the oneDNN verbose lines printed between our part markers.

    Args:
        lines (list[str]): the child's stdout.
        steps (int): timed calls per part (totals are divided by it).

    Returns:
        dict: part -> {"onednn_s": {category: seconds per step}, "convs": [top convolution shapes]}.
    """
    parts, current = {}, None
    for line in lines:
        if line.startswith(MARK + " "):
            current = line.split()[1]
            parts[current] = {"onednn_s": {}, "shapes": {}}
            continue
        fields = line.strip().split(",")
        if current is None or not line.startswith("onednn_verbose") or "exec" not in fields:
            continue
        i = fields.index("exec")
        try:
            kind, prop_kind, problem, ms_ = fields[i + 2], fields[i + 4], fields[-2], float(fields[-1])
        except (IndexError, ValueError):
            continue
        cat = category(kind, prop_kind)
        totals = parts[current]["onednn_s"]
        totals[cat] = totals.get(cat, 0.0) + ms_ / 1000.0 / steps
        if cat.startswith("conv"):
            key = (cat, problem)
            count, seconds = parts[current]["shapes"].get(key, (0, 0.0))
            parts[current]["shapes"][key] = (count + 1, seconds + ms_ / 1000.0)
    for part in parts.values():
        shapes = sorted(part.pop("shapes").items(), key=lambda kv: -kv[1][1])[:6]
        part["convs"] = [_conv_row(cat, problem, count, seconds, steps)
                         for (cat, problem), (count, seconds) in shapes]
        part["onednn_s"] = {k: round(v, 4) for k, v in part["onednn_s"].items()}
    return parts


def _conv_row(cat, problem, count, seconds, steps):
    gflop = conv_gflop(problem)
    return {"kind": cat, "shape": conv_label(problem), "calls_per_step": round(count / steps, 2),
            "ms_per_call": round(1000.0 * seconds / count, 3),
            "gflop_per_s": round(gflop * count / seconds, 1) if gflop and seconds > 0 else None}


def child_modules(t_net, s_net):
    """The modules the profiling child imports so that it knows the networks: this process's plugins, then the
    modules defining the two networks' builders outside ats_ms (a user's module imported directly).

    Raises:
        UserError: a network defined in ``__main__``, which the child cannot import.
    """
    from ats_ms.models.registry import builder_module
    from ats_ms.plugins import loaded_modules
    modules = list(loaded_modules())
    for net in (t_net, s_net):
        home = builder_module(net)
        if home in ("", "__main__", "__mp_main__"):
            raise UserError(f"--profile times network {net} in a child process, which cannot import it from the "
                            f"script that registered it ({home or 'no module'}); expected its register_model in an "
                            f"importable module")
        if not home.startswith("ats_ms.") and home not in modules:
            modules.append(home)
    return modules


def child_main(spec):
    """Runs in the child: import the parent's plugins and network modules, then time each part after a marker line
    (stdout is shared with oneDNN's verbose lines)."""
    from ats_ms.plugins import load_plugins
    from ats_ms.utils import device
    load_plugins(spec.get("plugins", ()), environ={}, entry_points=False)
    device.configure(spec["device_target"], spec["device_id"], "graph", 0)
    if spec.get("threads"):
        import mindspore as ms
        ms.device_context.cpu.op_tuning.threads_num(spec["threads"])
    walls = {}
    for name in PARTS:
        walls[name] = time_part(name, spec["t_net"], spec["s_net"], spec["batch_size"], spec["n_classes"],
                                   spec["steps"], spec["fold_bn"], before=lambda n=name: _mark(n),
                                   image_size=spec.get("image_size", 32))
        _mark("done")
    print(MARK + "_walls " + json.dumps(walls), flush=True)


def _mark(name):
    sys.stdout.flush()
    print(f"{MARK} {name}", flush=True)


def run_profile(t_net, s_net, batch_size, n_classes, steps, fold_bn=True, device_target="CPU", device_id=0,
                threads=0, image_size=32):
    """Profile every part in a child process (on this process's ``sys.path``, importing ``child_modules``); returns
    part -> {wall_s, onednn_s, other_s, convs}."""
    spec = {"t_net": t_net, "s_net": s_net, "batch_size": batch_size, "n_classes": n_classes, "steps": steps,
            "fold_bn": fold_bn, "device_target": device_target, "device_id": device_id, "threads": threads,
            "image_size": image_size, "plugins": child_modules(t_net, s_net)}
    env = dict(os.environ, ONEDNN_VERBOSE="1", DNNL_VERBOSE="1", PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    proc = subprocess.run([sys.executable, "-m", "ats_ms.bench.profile", json.dumps(spec)], env=env,
                          capture_output=True, text=True)
    lines = proc.stdout.splitlines()
    walls = [ln for ln in lines if ln.startswith(MARK + "_walls ")]
    if proc.returncode != 0 or not walls:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        hint = ("; it imports the plugins (--plugin, ATS_MS_PLUGINS, entry points) and the modules defining the "
                "networks' builders: expected the network registered by one of them") if "is unknown" in tail else ""
        raise UserError(f"the profiling child process failed (exit {proc.returncode}): {tail}{hint}")
    wall = json.loads(walls[-1].split(" ", 1)[1])
    parsed = parse_verbose(lines, steps)
    result = {}
    for name in PARTS:
        part = parsed.get(name, {"onednn_s": {}, "convs": []})
        onednn = sum(part["onednn_s"].values())
        result[name] = {"wall_s": round(wall[name], 4), "onednn_s": part["onednn_s"],
                        "other_s": round(wall[name] - onednn, 4), "convs": part["convs"]}
    return result


def profile_lines(profile):
    """Printable per-part table (seconds per step) of a ``run_profile`` result."""
    head = f"{'part (s per step)':26s} {'wall':>7s} " + " ".join(f"{h:>10s}" for h in HEADERS) + f" {'other':>7s}"
    lines = [head]
    for name in PARTS:
        p = profile[name]
        cells = " ".join(f"{p['onednn_s'].get(c, 0.0):10.3f}" for c in CATEGORIES)
        lines.append(f"{name:26s} {p['wall_s']:7.3f} {cells} {p['other_s']:7.3f}")
    lines.append("bwdD/bwdW: convolution backward to data/weights; other = wall minus oneDNN kernels: MindSpore's "
                 "own kernels (elementwise, loss, optimizer), launch, copies")
    for conv in profile["teacher_forward"]["convs"][:4]:
        lines.append(f"teacher conv {conv['shape']:28s} x{conv['calls_per_step']:<5g} {conv['ms_per_call']:7.2f} ms"
                     f"  {conv['gflop_per_s']} GFLOP/s")
    return lines


if __name__ == "__main__":
    child_main(json.loads(sys.argv[1]))
