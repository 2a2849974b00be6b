"""Small data sets generated locally and seedably: no downloads."""
