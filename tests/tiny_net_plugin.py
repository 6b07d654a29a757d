"""TinyNet (tests/tiny_net.py) as a plugin of a fresh ``python -m ats_ms`` process (``ATS_MS_PLUGINS``)."""
from tiny_net import register

register()
