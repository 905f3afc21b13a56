"""`from pythonbpf.helper import pid, ktime, ...`: helpers and constants for BPF programs."""
from .lang.helpers import *  # noqa: F401,F403
from .lang.helpers import __all__  # noqa: F401
