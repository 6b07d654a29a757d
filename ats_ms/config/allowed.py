"""Allowed values of the flags whose choices are not a registry's entries: each set is defined here once, below the
engine; the flag table offers it and the engine reads the chosen value (the learning-rate recipes: one per
``SCHEDULES`` entry, tested)."""
SCHEDULES = ("paper", "demo", "step")  # learning-rate recipes (ats_ms.engine.lr)
LR_SCALES = ("none", "linear")  # scaling of the learning rate with the device count
AMP_LEVELS = ("O0", "O1", "O2", "O3")  # MindSpore mixed-precision levels
ON_NAN = ("stop", "skip")  # what a run does when its loss becomes NaN/inf
EXPORT_FORMATS = ("MINDIR", "AIR")
