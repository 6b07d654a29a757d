"""Import references: ``"module:attribute"`` strings that registries store instead of objects, so that registering
an entry imports nothing (a loss Cell, a numpy twin, a PyTorch twin) until the entry is used."""
import importlib


def resolve(ref):
    """The object ``ref`` names: ``"package.module:attribute"`` is imported; anything else (a function) is returned
    as it is."""
    if not isinstance(ref, str):
        return ref
    module, name = ref.split(":")
    return getattr(importlib.import_module(module), name)
