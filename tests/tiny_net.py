"""TinyNet: two strided 3x3 convolutions with batch norm, global pooling and a dense layer (1,586 parameters at 10
classes), for the end-to-end runs whose subject is not the network (packs, resume, interruption, damaged cells, sweeps
across processes): its training graphs compile in about half the time of ResNet8's.

In this process the ``tiny_net`` fixture of conftest registers it for one test and removes it afterwards (tests that
list every network must not see it); a fresh process loads it as a plugin (conftest's ``subprocess_env(tiny=True)``:
``ATS_MS_PLUGINS`` naming ``tiny_net_plugin``, with tests/ on PYTHONPATH).
"""
import contextlib

NAME = "TinyNet"
PLUGIN_MODULE = "tiny_net_plugin"


def build(n_classes):
    """n_classes -> Cell mapping (N, 3, H, W) images to (N, n_classes) logits."""
    from mindspore import nn
    return nn.SequentialCell(nn.Conv2d(3, 8, 3, stride=2), nn.BatchNorm2d(8), nn.ReLU(),
                             nn.Conv2d(8, 16, 3, stride=2), nn.BatchNorm2d(16), nn.ReLU(),
                             nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dense(16, n_classes))


def torch_build(n_classes):
    """TinyNet's PyTorch twin for ``bench --torch`` (the same layers, shapes and cost; its padding is symmetric where
    MindSpore's ``same`` pads one side, so logits are not compared)."""
    from torch import nn
    return nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1, bias=False), nn.BatchNorm2d(8), nn.ReLU(),
                         nn.Conv2d(8, 16, 3, 2, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, n_classes))


def register():
    """Register TinyNet unless it is registered; returns True when this call registered it."""
    from ats_ms.models import registry
    if NAME in registry.list_models():
        return False
    registry.register_model(NAME, build, torch_twin=f"{__name__}:torch_build")
    return True


def unregister(name=NAME):
    """Remove network ``name`` (TinyNet, or another a test registered) from the registry: the tests' own clean-up
    (the registry has no public removal)."""
    from ats_ms.models import registry
    registry._BUILDERS.pop(registry._key(name), None)


@contextlib.contextmanager
def registered():
    """TinyNet registered while the block runs (removed after it unless it was registered before); yields its name."""
    added = register()
    try:
        yield NAME
    finally:
        if added:
            unregister()
