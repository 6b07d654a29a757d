"""Import of PyTorch state_dicts (the authors' published teachers) into registry networks."""
from ats_ms.convert.torch_import import convert_file, read_torch_state_dict, torch_to_mindspore

__all__ = ["convert_file", "read_torch_state_dict", "torch_to_mindspore"]
