"""``python -m ats_ms <command> [flags]`` (also ``ats-ms``): dispatch to ``ats_ms.cli.<command>.main``."""
import importlib
import os
import sys

COMMANDS = {
    "classify": "train a teacher or a plain student with cross-entropy (demo run_classify.py flags)",
    "distill": "distill a frozen teacher into a student with ATS or TS (demo run_distill.py flags)",
    "sweep": "tp_tau x t_tau grid from one teacher, cells packed to share its forward (paper Fig. 10)",
    "eval": "top-1/top-5 of a checkpoint on the test split",
    "export": "export a checkpoint to MINDIR (AIR on Ascend) with the demo's file name",
    "analyze": "teacher wrong-class statistics e(q), sigma(q) under TS vs ATS (paper Figs. 7/13)",
    "convert": "PyTorch .pth state_dict (published teachers) to a MindSpore checkpoint with its record",
    "demo": "the main job: small and large teacher, students without KD / TS / ATS over seeds, table and figure",
    "bench": "time the fused step, a demo-style step, an epoch, packed students, the pipeline and PyTorch",
    "check": "numerical check of the losses (and --models: the networks) against the numpy reference",
}


def main(argv=None):
    """Run the command named by argv[0]; returns its exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("GLOG_v", "3")
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: python -m ats_ms <command> [flags]    (python -m ats_ms <command> --help: its flags)\n\n"
              "commands:")
        for name, text in COMMANDS.items():
            print(f"  {name:10s} {text}")
        return 0 if argv else 2
    name = argv[0]
    if name not in COMMANDS:
        print(f"error: unknown command {name!r}; expected one of {', '.join(COMMANDS)}", file=sys.stderr)
        return 2
    return importlib.import_module(f"ats_ms.cli.{name}").main(argv[1:])


if __name__ == "__main__":
    sys.exit(main())
