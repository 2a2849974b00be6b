"""Building scalargrad for the browser: the one-file playground (`playground`) and the JupyterLite site (`site`).

Only the standard library is used here, so that `python3 tasks.py playground` can run it before any venv exists.
What is downloaded (Pyodide and viz-js from npm, pure-Python wheels from PyPI) is pinned in `downloads` and kept
under `.cache/`, so a second build is fast and needs no network.
"""
