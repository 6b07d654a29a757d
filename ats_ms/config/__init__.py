"""Configuration, below the engine: one flag (= YAML key) per row of the flag table (``flags``) with the allowed values
(``allowed``), how a value is read (``flag``) and layered (``sources``: defaults < YAML < command line),
``make_config`` and its cross-checks (``make``), the read-only ``RunConfig`` (``run_config``) and the checkpoint
records a config adopts (``record``). The engine imports what it needs from here; nothing is passed down by copy."""
