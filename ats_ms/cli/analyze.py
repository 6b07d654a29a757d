"""``python -m ats_ms analyze``: a teacher's wrong-class statistics under TS vs ATS (the paper's Figs. 7 and 13).

Runs each teacher over the split once, then reports per temperature setting q_y, e(q), sigma(q), var(q) and the
three terms of the KD-loss decomposition (for --student_ckpt's probabilities, or a uniform student), as CSV, JSON and
a PNG (several --ckpt: several teachers side by side). Network, classes and normalisation come from each checkpoint's
record. Numbers come from the numpy reference functions.
"""
import sys

from ats_ms.cli.common import command_main


def _analyze(config):
    from ats_ms.analysis.report import analyze_teachers
    from ats_ms.utils import device
    device.configure(config.device_target, config.device_id, "graph", 0)
    result = analyze_teachers(config)
    for line in result["lines"]:
        print(line)
    print(f"csv: {result['csv']}\njson: {result['json']}")
    print(f"figure: {result['figure']}" if result["figure"] else "figure skipped: matplotlib is not installed")
    return 0


main = command_main("analyze", _analyze)

if __name__ == "__main__":
    sys.exit(main())
