"""User space: BPF objects, map views, trace output. Built on the loader."""
