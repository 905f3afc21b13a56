"""The `pythonbpf` command."""
