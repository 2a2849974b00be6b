"""Watching training: the Recorder, the training page it writes, the live Jupyter view and the plots."""
