"""``python -m ats_ms check``: compare the losses (and with --models the networks) with the numpy reference."""
import os
import sys
import time

from ats_ms.cli.common import command_main


def _check(config):
    from ats_ms.utils import device
    setup = (config.device_target, config.device_id, config.mode)
    device.configure(*setup)
    jobs = config.jobs or (min(3, os.cpu_count() or 1) if config.device_target == "CPU" else 1)
    from ats_ms.verify.losses import TOLERANCES, run_loss_check

    start = time.time()
    loss_tol, grad_tol, param_tol = TOLERANCES[config.dtype]
    print(f"loss check on {config.device_target}:{config.device_id}, {config.mode} mode, {config.dtype} logits, "
          f"tolerance {loss_tol:g} (loss), {grad_tol:g} (gradient), {param_tol:g} (gradient of the loss's own "
          f"parameters: CTKD's temperature) against the float64 numpy twins, gradients by finite differences")
    print(f"{'kd_way':6s} {'classes':>7s} {'logits':9s} {'cases':>5s} {'epochs':>12s} {'loss err':>10s} "
          f"{'grad err':>10s} {'param err':>10s} result")

    def show(r):
        param = "-" if r.param_err is None else f"{r.param_err:.2e}"
        print(f"{r.kd_way:6s} {r.n_classes:7d} {r.logits:9s} {r.cases:5d} {','.join(map(str, r.epochs)):>12s} "
              f"{r.loss_err:10.2e} {r.grad_err:10.2e} {param:>10s} {'PASS' if r.passed else 'FAIL'}"
              f"{'' if r.finite else ' (non-finite)'}", flush=True)

    results = run_loss_check(config.dtype, setup, jobs, progress=show, class_counts=config.classes)
    ok = all(r.passed for r in results)
    if config.models:
        from ats_ms.verify.models import run_model_check
        print(f"model check (inference mode, {config.image_size}x{config.image_size} inputs, tolerance 1e-4 absolute "
              f"on logits)")
        for row in run_model_check(image_size=config.image_size):
            print(row.line(), flush=True)
            ok &= row.passed
    print(f"{'ALL PASS' if ok else 'FAILED'} in {time.time() - start:.1f} s")
    return 0 if ok else 1


main = command_main("check", _check)

if __name__ == "__main__":
    sys.exit(main())
