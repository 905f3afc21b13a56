"""Where the original Python-BPF corpus is: `<repo>/../shared/upstream` (CI lays it there)."""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "upstream"
