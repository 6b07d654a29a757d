"""``bench`` refuses what it cannot time in one line, before it compiles anything: ``--torch`` without PyTorch, and
``--torch`` for a network without a PyTorch twin (the ImageNet networks, a user's network whose plugin adds none)."""
import sys

import pytest


def test_torch_row_without_pytorch_is_one_line(cli, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch raises ImportError
    result = cli("bench", "--torch", "True", "--net_name", "ResNet8", "--t_net_name", "ResNet8")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == "error: --torch needs PyTorch, which is not installed; pip install torch==2.13.0 (CPU " \
                            "build)\n"


@pytest.mark.parametrize("role", ["--net_name", "--t_net_name"])
def test_torch_row_of_a_network_without_a_twin_is_one_line(cli, role):
    pytest.importorskip("torch")
    result = cli("bench", "--torch", "True", "--net_name", "ResNet8", "--t_net_name", "ResNet8", role, "resnet18")
    assert result.returncode == 2 and result.stdout == "", result.stdout
    line = result.stderr.splitlines()
    assert len(line) == 1 and line[0].startswith("error: --torch needs a PyTorch twin of ResNet18, and there is none; "
                                                 "expected one of ResNet8, ResNet14,"), result.stderr
    assert line[0].endswith("(a plugin adds its own: ats_ms.convert.torch_twins.TWINS[name] = a function of n_classes "
                            "returning a torch.nn.Module)")
