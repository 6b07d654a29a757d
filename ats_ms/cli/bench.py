"""``python -m ats_ms bench``: time our fused step, a demo-style step, an epoch, K students sharing a teacher, the data
pipeline and (--torch) PyTorch, in alternating rounds in one process."""
import sys

from ats_ms.cli.common import command_main, print_lines
from ats_ms.utils.errors import UserError


def _bench(config):
    from ats_ms.utils import device
    from ats_ms.utils.files import write_json
    if config.torch:
        try:
            import torch  # noqa: F401
        except ImportError:
            from ats_ms.convert.torch_import import TORCH_HINT
            raise UserError(f"--torch needs PyTorch, which is not installed; {TORCH_HINT}")
    if config.pipelines:
        from ats_ms.bench.pipelines import pipeline_lines, run_pipelines
        result = run_pipelines(config.data_dir, config.num_workers, config.batch_size, config.rounds, print_lines)
        print("\n".join(pipeline_lines(result)))
        if config.json:
            write_json(config.json, result)
        return 0
    device.configure(config.device_target, config.device_id, "graph", 0)
    if config.threads > 0:
        import mindspore as ms
        ms.device_context.cpu.op_tuning.threads_num(config.threads)
    from ats_ms.bench import run_bench, table_lines
    result = run_bench(config.t_net_name, config.net_name, config.batch_size, config.n_classes, config.steps,
                       config.torch, config.fold_teacher_bn, config.rounds, config.profile, config.device_target,
                       config.device_id, config.threads, pack=config.pack, num_workers=config.num_workers,
                       methods=config.methods, image_size=config.image_size,
                       data_dir=config.data_dir, emit=print_lines)
    print("\n".join(table_lines(result)))
    if config.json:
        write_json(config.json, result)
    return 0


main = command_main("bench", _bench)

if __name__ == "__main__":
    sys.exit(main())
