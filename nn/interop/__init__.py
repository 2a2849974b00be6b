"""Bridges to other frameworks: PyTorch (`to_torch`, `from_torch`, weight layouts) and ONNX export.

torch, onnx and onnxruntime are optional: each module imports them when a bridge is used.
"""
