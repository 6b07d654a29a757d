"""A pack's teacher: its network loaded strictly from its checkpoint, and the frozen forward the pack shares."""
from ats_ms.utils import naming


def load_teacher(config):
    """The teacher network of a config that needs one, loaded strictly from its checkpoint."""
    from ats_ms.models import create_model
    from ats_ms.models.checkpoint import load_strict
    path = naming.teacher_ckpt_path(config.to_dict())
    net = create_model(config.t_net_name, config.n_classes, style=config.t_net_style)
    load_strict(net, path, source=f"teacher checkpoint {path}", n_classes_flag=True)
    return net


def frozen_teacher(teacher_net, config):
    """The pack's ``FrozenTeacher`` (BatchNorms folded with ``fold_teacher_bn``, mixed precision as the run's)."""
    from ats_ms.engine.cells import FrozenTeacher
    frozen = FrozenTeacher(teacher_net, fold_bn=config.fold_teacher_bn)
    if config.amp_level != "O0":
        import mindspore as ms
        ms.amp.auto_mixed_precision(frozen, config.amp_level)
    return frozen
