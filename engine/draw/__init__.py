"""Seeing a graph: DOT source (`dot`), its layout (`render`), backward step by step (`steps`) and the page (`page`).

Nothing is imported here, so loading one tool does not load the others (or graphviz).
"""
