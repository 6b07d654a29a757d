"""``bench`` refuses what it cannot time in one line, before it compiles anything: ``--torch`` without PyTorch,
``--torch`` for a network without a PyTorch twin (the ImageNet networks; a user's network registered without one),
and ``--profile`` for a network its child process cannot import. A user's twin given to ``register_model`` as
``"module:function"`` is found (case and ``-``/``_`` ignored, as network names)."""
import sys

import pytest

import ats_ms.bench

from tiny_net import unregister


def test_torch_row_without_pytorch_is_one_line(cli, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch raises ImportError
    result = cli("bench", "--torch", "True", "--net_name", "ResNet8", "--t_net_name", "ResNet8")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == "error: --torch needs PyTorch, which is not installed; pip install torch==2.13.0 " \
                            "--index-url https://download.pytorch.org/whl/cpu (the CPU build)\n"


@pytest.fixture
def never_compiles(monkeypatch):
    """Fails the test if bench gets as far as building its first row."""
    from ats_ms.bench import steps

    def built(*args, **kwargs):
        raise AssertionError("bench compiled before refusing")
    monkeypatch.setattr(steps, "setup_ours_and_epoch", built)


@pytest.mark.parametrize("role", ["--net_name", "--t_net_name"])
def test_torch_row_of_a_network_without_a_twin_is_one_line(cli, role, never_compiles):
    pytest.importorskip("torch")
    result = cli("bench", "--torch", "True", "--net_name", "ResNet8", "--t_net_name", "ResNet8", role, "resnet18")
    assert result.returncode == 2 and result.stdout == "", result.stdout
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: network ResNet18 has no PyTorch twin; expected one of "
                                                   "ResNet8, ResNet14,"), result.stderr
    assert lines[0].endswith("(a user's network: register_model(..., torch_twin='module:function'))")


def test_a_users_twin_is_found_by_its_import_path_and_a_network_without_one_is_refused(tiny_net):
    pytest.importorskip("torch")
    from ats_ms.convert.twins import torch_twin
    from ats_ms.models import create_model
    from ats_ms.models.registry import register_model
    from ats_ms.utils.errors import UserError
    twin = torch_twin(tiny_net.lower())(5)
    assert type(twin).__name__ == "Sequential" and twin[-1].out_features == 5  # tests/tiny_net.py's torch_build
    register_model("NoTwinNet", lambda n_classes: create_model(tiny_net, n_classes))
    try:
        with pytest.raises(UserError, match="network NoTwinNet has no PyTorch twin; expected one of .*TinyNet"):
            torch_twin("no_twin_net")
    finally:
        unregister("NoTwinNet")


def test_profile_of_a_network_registered_in_main_is_one_line(tiny_net, monkeypatch, never_compiles):
    """The profiling child imports the module of each network's builder; a builder defined in ``__main__`` (a
    script) cannot be imported there."""
    import tiny_net as module
    monkeypatch.setattr(module.build, "__module__", "__main__")
    from ats_ms.utils.errors import UserError
    with pytest.raises(UserError, match=r"^--profile times network TinyNet in a child process, which cannot import it "
                                        r"from the script that registered it \(__main__\)"):
        ats_ms.bench.run_bench(tiny_net, tiny_net, profile=True)


def test_a_torch_twin_that_is_not_a_function_or_does_not_import_is_one_error_line(tiny_net):
    from ats_ms.convert.twins import torch_twin
    from ats_ms.models import create_model, registry
    from ats_ms.utils.errors import UserError

    def build(n_classes):
        return create_model(tiny_net, n_classes)
    with pytest.raises(UserError, match=r"^network Twinless's torch_twin is 'pkg.twins.my_net'; expected a function of "
                                        r"n_classes or its import path 'module:function'$"):
        registry.register_model("Twinless", build, torch_twin="pkg.twins.my_net")
    assert "Twinless" not in registry.list_models()
    registry.register_model("Twinless", build, torch_twin="no_such_twin_module:net")
    try:
        pytest.importorskip("torch")
        with pytest.raises(UserError, match=r"^network Twinless's torch_twin 'no_such_twin_module:net' does not import "
                                            r"\(ModuleNotFoundError: No module named 'no_such_twin_module'\)"):
            torch_twin("twinless")
    finally:
        unregister("Twinless")


def test_a_twin_without_pytorch_is_one_error_line(monkeypatch):
    """The Python API's path (the command line refuses ``--torch`` without PyTorch before it gets here)."""
    from ats_ms.convert.twins import torch_twin
    from ats_ms.utils.errors import UserError
    monkeypatch.setitem(sys.modules, "torch", None)
    monkeypatch.delitem(sys.modules, "ats_ms.convert.torch_twins", raising=False)
    with pytest.raises(UserError, match=r"^a PyTorch twin needs PyTorch, which is not installed; pip install "
                                        r"torch==2\.13\.0 --index-url https://download\.pytorch\.org/whl/cpu"):
        torch_twin("ResNet8")
