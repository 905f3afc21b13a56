"""Short integer type names; they are the ctypes types, so user space can use them too."""
from ctypes import (
    c_int8 as i8,
    c_int16 as i16,
    c_int32 as i32,
    c_int64 as i64,
    c_uint8 as u8,
    c_uint16 as u16,
    c_uint32 as u32,
    c_uint64 as u64,
)

__all__ = ["u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64"]
