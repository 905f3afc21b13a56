"""Resolves the names a module imports to the canonical names the compiler knows.

`from ctypes import c_int32 as I` makes `I` mean `c_int32`; `import ctypes` makes `ctypes.c_int32`
mean the same. Names that are not imported resolve to themselves, so a file that is only
compiled (never run) can still use the short names.
"""
from __future__ import annotations

import ast
from typing import Dict, Optional

KNOWN_MODULES = ("pythonbpf", "pylibbpf", "ctypes")


class Names:
    def __init__(self, tree: ast.Module):
        self.aliases: Dict[str, str] = {}
        self.modules: Dict[str, str] = {}
        self.origins: Dict[str, str] = {}  # local name -> the module it was imported from
        for node in tree.body:
            if isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    if alias.name != "*":
                        self.aliases[alias.asname or alias.name] = alias.name
                        self.origins[alias.asname or alias.name] = node.module
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    self.modules[alias.asname or alias.name.split(".")[0]] = alias.name

    def canonical(self, node: ast.AST) -> Optional[str]:
        """The canonical name of a `Name` or module attribute `mod.name`, or None."""
        if isinstance(node, ast.Name):
            return self.aliases.get(node.id, node.id)
        if isinstance(node, ast.Attribute):
            root = node.value
            while isinstance(root, ast.Attribute):
                root = root.value
            if isinstance(root, ast.Name) and (root.id in self.modules or root.id in self.aliases):
                return node.attr
        return None

    def module_of(self, node: ast.AST) -> Optional[str]:
        """The module a name was imported from (`from pythonbpf.vmlinux import iphdr`), or the
        module of `mod.name` when `mod` was imported."""
        if isinstance(node, ast.Name):
            return self.origins.get(node.id)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            return self.modules.get(node.value.id)
        return None
