"""How many students fit in one pack: a memory estimate per student and the memory available on the device.

Per student: parameters, gradients and momentum (3 x 4 bytes per parameter) plus the activations kept for the
backward pass (the outputs of every layer for one image, counted by running the network once in PyNative mode with
forward hooks, x batch size x 4 bytes x 2 for the backward's temporaries). Available: free host memory on the CPU,
the device's total memory on GPU/Ascend. The pack uses at most ``BUDGET`` of what is left after the teacher.
"""
import math

import numpy as np

BUDGET = 0.6


def activation_elements(net, image_size):
    """Elements of every leaf cell's output for one image_size x image_size image (forward hooks, PyNative mode)."""
    import mindspore as ms
    counts = []
    mode = ms.get_context("mode")
    leaves = [cell for _, cell in net.cells_and_names() if not cell.name_cells()]
    handles = [cell.register_forward_hook(lambda cell, inputs, output: counts.append(int(np.prod(output.shape))))
               for cell in leaves]
    ms.set_context(mode=ms.PYNATIVE_MODE)
    try:
        was_training = net.training
        net.set_train(False)
        net(ms.Tensor(np.zeros((1, 3, image_size, image_size), np.float32)))
        net.set_train(was_training)
    finally:
        for handle in handles:
            handle.remove()
        ms.set_context(mode=mode)
    return sum(counts)


def student_bytes(net, batch_size, image_size):
    """Estimated training memory of one student in a pack (inputs image_size x image_size)."""
    params = sum(int(np.prod(p.shape)) for p in net.get_parameters())
    return 3 * 4 * params + 2 * 4 * batch_size * activation_elements(net, image_size)


def available_bytes(device_target, device_id):
    """(bytes, where): free host memory on CPU, the device's total memory on GPU/Ascend (None if unknown)."""
    if device_target == "CPU":
        import psutil
        return psutil.virtual_memory().available, "free host memory"
    try:
        import mindspore as ms
        props = ms.hal.get_device_properties(device_id, device_target)
        total = getattr(props, "total_memory", None) or getattr(props, "free_memory", None)
        return (int(total), f"{device_target} {device_id} memory") if total else (None, "unknown")
    except Exception:  # older drivers or builds without the query
        return None, "unknown"


def pack_size(student, teacher, batch_size, device_target, device_id, limit, image_size):
    """Students per pack the memory allows (1 .. ``limit``) and the line that says how it was chosen."""
    per_student = student_bytes(student, batch_size, image_size)
    teacher_cost = student_bytes(teacher, batch_size, image_size) / 3 if teacher is not None else 0
    available, where = available_bytes(device_target, device_id)
    if available is None:
        k = min(limit, 8)
        return k, (f"pack: {k} cells at a time (memory estimate {per_student / 2**20:.0f} MB per student; the "
                   f"device memory could not be read); lower it with --pack N")
    k = max(1, min(limit, math.floor((BUDGET * available - teacher_cost) / per_student)))
    return k, (f"pack: {k} cells at a time (memory estimate {per_student / 2**20:.0f} MB per student, "
               f"{available / 2**20:.0f} MB {where}, {BUDGET:.0%} of it used); lower it with --pack N")
