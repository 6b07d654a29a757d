"""How hard each method pushes a student: the gradient of its whole objective with respect to the student's logits, per
training image, relative to the cross-entropy's (docs/comparing.md).

    python scripts/gradient_scale.py TEACHER_CKPT [STUDENT_CKPT ...]      (PyNative: a few minutes per student here)

On the digits training split, in batches of 64 (the comparison's), it prints for a fresh ResNet8 (seed 0) and for
each student checkpoint (a ResNet8 on digits) one row per method as configs/compare/digits-ResNet32-ResNet8.yaml sets
it (``grid()``: TS and ATS as its groups set them, also with s_tau 4, then every other registered method at its
defaults, as its ``kd_way=others``): the mean L2 norm of the per-image gradient, its ratio to the cross-entropy's,
and the mean cosine between the two. DKD and DTKD are taken at epoch 1 of their warm-ups. Then, for TS (tau 4) and
ATS (4, 2), what their soft targets ask of a student matched at s_tau 1: the mean probability of the true class, and
how often another class gets the most.
"""
import sys

import numpy as np

OWN = (("TS", "TS", {"t_tau": 4.0}), ("ATS", "ATS", {"tp_tau": 4.0, "t_tau": 2.0}),
       ("TS s_tau 4", "TS", {"t_tau": 4.0, "s_tau": 4.0}),
       ("ATS s_tau 4", "ATS", {"tp_tau": 4.0, "t_tau": 2.0, "s_tau": 4.0}))


def grid():
    """(row name, kd_way, hyper-parameters): the comparison's TS and ATS cells (and with s_tau 4), then every other
    registered method at its defaults, "none" first."""
    from ats_ms.losses import registry
    others = [name for name in registry.names() if name not in ("TS", "ATS", "none")]
    return (("none", "none", {}),) + OWN + tuple((name, name, {}) for name in others)
BATCH = 64


def per_image_gradients(kd_way, hyper, s_logits, t_logits, labels):
    """(N', C) gradient of the objective w.r.t. the student logits, per image (batch gradient times BATCH), over
    the full batches of BATCH images."""
    import mindspore as ms

    import ats_ms
    loss = ats_ms.create_loss(kd_way, **hyper)
    if hasattr(loss, "set_epoch"):
        loss.set_epoch(1)
    parts = []
    for start in range(0, len(labels) - BATCH + 1, BATCH):
        part = slice(start, start + BATCH)
        t, y = ms.Tensor(t_logits[part], ms.float32), ms.Tensor(labels[part], ms.int32)
        parts.append(ms.grad(lambda s, t=t, y=y: loss(s, t, y))(ms.Tensor(s_logits[part], ms.float32)).asnumpy())
    return np.concatenate(parts) * BATCH


def soft_targets(t_logits, labels, tp_tau, t_tau):
    """The teacher's ATS probabilities q (N, C): temperature tp_tau on the true class, t_tau on the others."""
    taus = np.where(np.arange(t_logits.shape[1])[None] == labels[:, None], tp_tau, t_tau)
    z = t_logits / taus
    q = np.exp(z - z.max(1, keepdims=True))
    return q / q.sum(1, keepdims=True)


def main(argv):
    import mindspore as ms

    from ats_ms.analysis.temperature import teacher_logits
    from ats_ms.config.record import read_record
    from ats_ms.data import load_arrays
    from ats_ms.models import create_model
    ms.set_device("CPU")
    ms.set_context(mode=ms.PYNATIVE_MODE)
    ms.set_seed(0)
    teacher_ckpt, student_ckpts = argv[0], argv[1:]
    record = read_record(teacher_ckpt)
    images, labels = load_arrays("digits", "data", "train")
    teacher = create_model(record["net_name"], 10, checkpoint=teacher_ckpt)
    t_logits = teacher_logits(teacher, images, normalize=record["normalize"])
    print(f"teacher {record['net_name']}: training-split accuracy {np.mean(t_logits.argmax(1) == labels):.4f}")
    students = {"fresh ResNet8 (seed 0)": create_model("ResNet8", 10)}
    students.update({path: create_model("ResNet8", 10, checkpoint=path) for path in student_ckpts})
    for label, net in students.items():
        s_logits = teacher_logits(net, images, normalize=record["normalize"])
        print(f"\nstudent {label}: training-split accuracy {np.mean(s_logits.argmax(1) == labels):.4f}")
        print(f"{'method':12s} {'|g|':>8s} {'|g| / CE':>9s} {'cos(g, CE)':>11s}")
        grads = {name: per_image_gradients(kd_way, hyper, s_logits, t_logits, labels) for name, kd_way, hyper in grid()}
        ce = grads["none"]
        ce_norm = np.linalg.norm(ce, axis=1)
        for name, g in grads.items():
            norm = np.linalg.norm(g, axis=1)
            cosine = np.mean(np.sum(g * ce, 1) / np.maximum(norm * ce_norm, 1e-12))
            print(f"{name:12s} {norm.mean():8.4f} {norm.mean() / ce_norm.mean():9.2f} {cosine:11.3f}")
    print()
    for name, (tp_tau, t_tau) in (("TS tau 4", (4.0, 4.0)), ("ATS (4, 2)", (4.0, 2.0)), ("teacher at 1", (1.0, 1.0))):
        q = soft_targets(t_logits, labels, tp_tau, t_tau)
        print(f"{name}: mean q of the true class {q[np.arange(len(labels)), labels].mean():.3f}; another class "
              f"highest on {np.mean(q.argmax(1) != labels):.1%} of the training images")


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr)
        sys.exit(2)
    main(sys.argv[1:])
