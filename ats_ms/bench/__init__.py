"""Benchmarks of one distillation step and one epoch (``python -m ats_ms bench``).

``steps``: the measurements a-d; ``parts``: the step's parts compiled alone (breakdown); ``profile``: oneDNN
per-kernel times of each part (``--profile``). ``run_bench`` runs them in one process and returns one dict;
``table_lines`` prints it.
"""
import os


def run_bench(t_net, s_net, batch_size=128, n_classes=100, steps=10, with_torch=False, fold_bn=True, rounds=3,
              profile=False, device_target="CPU", device_id=0, threads=0, emit=None, pack=0, num_workers=0,
              data_dir=None, methods=False, image_size=32):
    """All measurements; returns the result dict (rows a-d, packed and pipeline, breakdown, profile, ratios).

    The rows are built first, then timed in ``rounds`` alternating rounds (medians reported); (b) runs
    ``max(2, steps // 3)`` steps per round because one demo-style step costs about two of ours. ``pack`` > 0 adds
    the ``packed`` row (that many students sharing the teacher) and the ``pipeline`` row; ``methods`` the
    ``pack_methods`` row (one student per registered method, at its defaults) and ``pack_ats`` (as many ATS
    students): the peers' losses' cost per cell. Every row runs on image_size x image_size inputs.

    The profile (``profile``) runs first, in its child process: a network the child cannot import stops the run
    before anything compiles here.

    Raises:
        UserError: before anything compiles, ``with_torch`` for a network without a PyTorch twin (or without
            PyTorch), or ``profile`` for a network the profiling child process cannot import.
    """
    from ats_ms.bench import steps as bench_steps
    if with_torch:
        from ats_ms.convert.twins import torch_twin
        for net in (t_net, s_net):
            torch_twin(net)
    from ats_ms.engine.trainer import resident_mb
    from ats_ms.utils import logs
    emit = emit or logs.log_line
    profiled = None
    if profile:
        from ats_ms.bench.profile import run_profile
        emit("[bench] profile: oneDNN kernels of each part (child process with ONEDNN_VERBOSE=1)")
        profiled = run_profile(t_net, s_net, batch_size, n_classes, steps, fold_bn, device_target, device_id,
                               threads, image_size)
    result = {"t_net_name": t_net, "net_name": s_net, "batch_size": batch_size, "n_classes": n_classes,
              "image_size": image_size, "steps": steps, "rounds": rounds, "fold_teacher_bn": fold_bn,
              "cpu_count": os.cpu_count(),
              "onednn_max_cpu_isa": os.environ.get("ONEDNN_MAX_CPU_ISA"), "device_target": device_target}
    emit("[bench] building and compiling: a. ours (fused graph step), c. epoch via Model.train, b. demo-style"
         + (", d. PyTorch twin" if with_torch else ""))
    ours_facts, step_timer, epoch_timer = bench_steps.setup_ours_and_epoch(t_net, s_net, batch_size, n_classes,
                                                                           steps, fold_bn, image_size)
    timers = {"ours": step_timer, "epoch": epoch_timer}
    facts = {"ours": ours_facts}
    facts["demo_style"], timers["demo_style"] = bench_steps.setup_demo_style(t_net, s_net, batch_size, n_classes,
                                                                             max(2, steps // 3), image_size)
    if with_torch:
        facts["torch"], timers["torch"] = bench_steps.setup_torch(t_net, s_net, batch_size, n_classes, steps,
                                                                  image_size=image_size)
    if pack:
        emit(f"[bench] building and compiling: packed ({pack} students sharing the teacher), pipeline")
        facts["packed"], timers["packed"] = bench_steps.setup_packed(t_net, s_net, batch_size, n_classes, steps,
                                                                     fold_bn, pack, image_size=image_size)
        facts["pipeline"], timers["pipeline"] = bench_steps.setup_pipeline(batch_size, n_classes, num_workers,
                                                                           data_dir, image_size=image_size)
    if methods:
        every = methods_timed()
        emit(f"[bench] building and compiling: a pack of every method ({', '.join(every)}) and a pack of "
             f"{len(every)} ATS students")
        for name, kd_ways in (("pack_methods", every), ("pack_ats", ("ATS",) * len(every))):
            facts[name], timers[name] = bench_steps.setup_packed(t_net, s_net, batch_size, n_classes, steps,
                                                                 fold_bn, 0, kd_ways, image_size)
    measured = bench_steps.measure_rounds(timers, rounds, emit)
    for name, row in measured.items():
        result[name] = {**facts.get(name, {}), **row}
    result["ours"]["step_s"] = round(result["ours"]["seconds"] / steps, 4)
    emit("[bench] breakdown: teacher forward, student forward, forward+backward, step, each compiled alone")
    result["breakdown"] = bench_steps.bench_breakdown(t_net, s_net, batch_size, n_classes, steps, fold_bn,
                                                      image_size)
    ours = result["ours"]["img_per_s"]
    result["ratios"] = {"a_over_b": round(ours / result["demo_style"]["img_per_s"], 2),
                        "epoch_overhead_c_vs_a": round(1 - result["epoch"]["img_per_s"] / ours, 3)}
    if with_torch:
        result["ratios"]["a_over_d"] = round(ours / result["torch"]["img_per_s"], 2)
    if pack:
        result["ratios"]["packed_over_a"] = round(result["packed"]["img_per_s"] / ours, 2)
    if methods:
        result["ratios"]["methods_over_ats"] = round(result["pack_methods"]["img_per_s"] /
                                                     result["pack_ats"]["img_per_s"], 3)
    if profiled is not None:
        result["profile"] = profiled
    result["resident_mb"] = round(resident_mb(), 1)
    return result


def table_lines(result):
    """Printable table of a ``run_bench`` result."""
    rows = [("a. ours (graph, fused step)", result["ours"]["img_per_s"],
             f"compile {result['ours']['compile_s']} s, peak RSS {result['ours']['peak_rss_mb']} MB"),
            ("b. demo-style (PyNative)", result["demo_style"]["img_per_s"], ""),
            ("c. epoch via Model.train + pipeline", result["epoch"]["img_per_s"],
             f"{result['epoch']['images']} images")]
    if "torch" in result:
        rows.append(("d. PyTorch twin, teacher no_grad", result["torch"]["img_per_s"],
                     f"{result['torch']['threads']} threads, torch {result['torch']['torch']}"))
    if "packed" in result:
        rows.append((f"packed: {result['packed']['k']} students, per cell", result["packed"]["img_per_s"],
                     f"one teacher forward per batch for {result['packed']['k']} students, compile "
                     f"{result['packed']['compile_s']} s"))
        rows.append(("pipeline (data alone)", result["pipeline"]["img_per_s"],
                     f"{result['pipeline']['workers']} workers, {result['pipeline']['source']}"))
    if "pack_methods" in result:
        rows.append((f"pack of every method ({result['pack_methods']['k']}), per cell",
                     result["pack_methods"]["img_per_s"], f"compile {result['pack_methods']['compile_s']} s"))
        rows.append((f"pack of {result['pack_ats']['k']} ATS students, per cell", result["pack_ats"]["img_per_s"],
                     f"compile {result['pack_ats']['compile_s']} s"))
    lines = [f"bench {result['t_net_name']} -> {result['net_name']}, batch {result['batch_size']}, "
             f"{result['image_size']}x{result['image_size']} inputs, "
             f"{result['n_classes']} classes, {result['steps']} steps, median of {result['rounds']} alternating rounds",
             f"{'measurement':38s} {'img/s':>8s}  notes"]
    lines += [f"{name:38s} {ips:8.1f}  {note}" for name, ips, note in rows]
    b = result["breakdown"]
    lines.append(f"breakdown per step: teacher forward {b['teacher_forward_s']:.3f} s; student forward "
                 f"{b['student_forward_s']:.3f} s, forward+backward {b['student_forward_backward_s']:.3f} s, "
                 f"whole step {b['student_step_s']:.3f} s; fused step {result['ours']['step_s']:.3f} s")
    ratios = result["ratios"]
    lines.append("ratios: a/b {a_over_b}  a/d {ad}  epoch overhead (1 - c/a) {ov:.1%}  packed/a {pa}".format(
        a_over_b=ratios["a_over_b"], ad=ratios.get("a_over_d", "n/a"), ov=ratios["epoch_overhead_c_vs_a"],
        pa=ratios.get("packed_over_a", "n/a")))
    if "methods_over_ats" in ratios:
        lines.append(f"every method / ATS only, per cell: {ratios['methods_over_ats']:.3f} (the peers' losses cost "
                     f"{1 - ratios['methods_over_ats']:+.1%} of a cell's throughput)")
    if "profile" in result:
        from ats_ms.bench.profile import profile_lines
        lines += profile_lines(result["profile"])
    return lines


def methods_timed():
    """The methods ``--methods`` packs: every registered one (its name is the test's handle on a smaller set)."""
    from ats_ms.losses import registry
    return registry.names()
