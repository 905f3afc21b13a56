"""Frontend: Python source -> typed, checked program. All user errors are raised here."""
from .errors import CompileError, Location
from .model import Program
from .module import check_source

__all__ = ["CompileError", "Location", "Program", "check_source"]
