"""Teacher statistics under temperature scaling, computed by the numpy reference from the teacher's logits.

For each temperature setting: the mean of q_y, e(q), sigma(q) (population std) and var(q) of the wrong-class
probabilities, and the three terms of the KD-loss decomposition (correct guidance, smooth regularisation, class
discriminability) for a given student's probabilities or a uniform student.
"""
import numpy as np

from ats_ms import reference as ref

# The official Fig. 7/13 script's temperatures: 0.05, 0.1, 0.25, 0.4, 0.5, then 1.0 to 10.0 in steps of 0.5.
PAPER_TAUS = (0.05, 0.1, 0.25, 0.4, 0.5) + tuple(1.0 + 0.5 * i for i in range(19))
ATS_TP_FACTOR, ATS_T_FACTOR = 1.25, 0.75


def settings(taus=PAPER_TAUS, pairs=()):
    """List of (method, tau, tp_tau, t_tau): TS at each tau, ATS at (1.25 tau, 0.75 tau), then explicit ATS pairs."""
    rows = [("TS", tau, tau, tau) for tau in taus]
    rows += [("ATS", tau, ATS_TP_FACTOR * tau, ATS_T_FACTOR * tau) for tau in taus]
    rows += [("ATS", None, float(tp), float(t)) for tp, t in pairs]
    return rows


def statistics(logits, labels, taus=PAPER_TAUS, pairs=(), student_probs=None):
    """One dict per setting with the statistics and decomposition terms (floats).

    Args:
        logits (array): (N, C) teacher logits.
        labels (array): (N,) labels.
        taus, pairs: see ``settings``.
        student_probs (array | None): (N, C) student probabilities; None means a uniform student.
    """
    logits = np.asarray(logits, dtype=np.float64)
    n, c = logits.shape
    student = np.full((n, c), 1.0 / c) if student_probs is None else student_probs
    rows = []
    for method, tau, tp, t in settings(taus, pairs):
        q = ref.asymmetric_teacher_probs(logits, labels, tp, t)
        s = ref.wrong_class_stats(q, labels)
        row = {"method": method, "tau": tau, "tp_tau": tp, "t_tau": t, "q_y": s["q_y_mean"], "e": s["e_mean"],
               "sigma": s["sigma_mean"], "var": s["var_mean"]}
        row.update(ref.kd_decomposition(q, labels, student))
        rows.append(row)
    return rows


def curve(rows, method, key):
    """(taus, values) of one statistic ``key`` for ``method`` over the tau list (explicit pairs left out)."""
    pts = [(r["tau"], r[key]) for r in rows if r["method"] == method and r["tau"] is not None]
    return [p[0] for p in pts], [p[1] for p in pts]


def teacher_logits(net, images, batch_size=256, normalize="cifar"):
    """Inference-mode logits (N, C) float64 of ``net`` on uint8 NHWC ``images`` with the test-time transform."""
    import mindspore as ms

    from ats_ms.data.transforms import NORMALIZATIONS
    mean, std = (np.array(v, dtype=np.float32)[None, :, None, None] for v in NORMALIZATIONS[normalize])
    net.set_train(False)
    out = []
    for start in range(0, len(images), batch_size):
        x = images[start:start + batch_size].transpose(0, 3, 1, 2).astype(np.float32) / 255.0
        out.append(net(ms.Tensor((x - mean) / std)).asnumpy())
    return np.concatenate(out).astype(np.float64)


def split_logits(net, data, config, normalize, image_size, transform=None):
    """Inference-mode logits (N, C) float64 of ``net`` on an opened split (``DataSplit``), in its order, through
    the pipeline's evaluation transform (``transform``'s recipe, default the dataset's, at ``image_size``)."""
    from ats_ms.data.pipeline import create_dataset
    dataset = create_dataset(data.name, config.data_dir, data.split, config.batch_size, n_classes=None,
                             normalize=normalize, augment=False, shuffle=False, num_workers=config.num_workers,
                             data=data, image_size=image_size, transform=transform)
    net.set_train(False)
    out = [net(images).asnumpy() for images, _ in dataset.create_tuple_iterator(num_epochs=1)]
    return np.concatenate(out).astype(np.float64)
