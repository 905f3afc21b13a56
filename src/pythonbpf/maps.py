"""`from pythonbpf.maps import HashMap`: map declarations."""
from .lang.maps import *  # noqa: F401,F403
from .lang.maps import __all__  # noqa: F401
