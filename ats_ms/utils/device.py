"""Device, execution mode, seeds and CPU settings; called by the commands, never at import time."""
import os
import random

import numpy as np

from ats_ms.utils.errors import UserError

DEVICES = ("CPU", "GPU", "Ascend")
MODES = ("graph", "pynative")


def prepare_cpu_env(device_target):
    """Set ONEDNN_MAX_CPU_ISA=AVX2 for CPU runs unless the user set it.

    MindSpore 2.10's oneDNN takes a convolution path about 60x slower on AVX-512 CPUs; AVX2 avoids it. It must be in
    the environment before the first convolution runs. Returns the value in force (or None on GPU/Ascend).
    """
    if device_target == "CPU":
        os.environ.setdefault("ONEDNN_MAX_CPU_ISA", "AVX2")
        return os.environ["ONEDNN_MAX_CPU_ISA"]
    return None


def configure(device_target="CPU", device_id=0, mode="graph", seed=None):
    """Select device and execution mode (and seed everything when ``seed`` is given).

    Args:
        device_target (str): ``CPU``, ``GPU`` or ``Ascend``.
        device_id (int): device index.
        mode (str): ``graph`` or ``pynative``.
        seed (int | None): seed for mindspore, numpy and random.

    Raises:
        UserError: unknown device or mode, or the device is not available on this machine.
    """
    from ats_ms.utils.checks import check_choice
    device_target = check_choice("--device_target", device_target, DEVICES)
    mode = check_choice("--mode", mode, MODES)
    prepare_cpu_env(device_target)
    import mindspore as ms
    if device_target != "CPU" and not ms.hal.is_available(device_target):
        raise UserError(f"--device_target={device_target} but this machine's MindSpore cannot use a {device_target} "
                        f"device; expected CPU here, or a MindSpore build and driver for {device_target}")
    ms.set_context(mode=ms.GRAPH_MODE if mode == "graph" else ms.PYNATIVE_MODE)
    ms.set_device(device_target, int(device_id))
    if seed is not None:
        seed_everything(seed)


def seed_everything(seed):
    """Seed mindspore (ops and dataset), numpy and random with ``seed``."""
    import mindspore as ms
    ms.set_seed(int(seed))
    ms.dataset.config.set_seed(int(seed))
    np.random.seed(int(seed))
    random.seed(int(seed))
