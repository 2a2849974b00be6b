"""The `scalargrad` command line: argument parsing (`main`), its choices, named runs and the expression parser."""
