"""`python -m pythonbpf`: the same command as `pythonbpf` (see pythonbpf.cli.main)."""
import sys

from .cli.main import main

if __name__ == "__main__":
    sys.exit(main())
