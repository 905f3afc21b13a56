"""`from pythonbpf.types import u32`: the short integer type names."""
from .lang.types import i8, i16, i32, i64, u8, u16, u32, u64

__all__ = ["u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64"]
