"""The site's stand-in for matplotlib, which has no build for the browser here: figures are skipped, not drawn.

Every call on `matplotlib.pyplot`, a figure or an axes does nothing, so a lesson's figure cells still run their
computations and assertions; `plt.show()` prints one line saying the figure was skipped. Only the JupyterLite
site ships this package: it never replaces a real matplotlib.
"""

rcParams: dict[str, object] = {}
