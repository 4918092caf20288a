"""Dagster-free training, evaluation, ONNX export, bundle writing and the local model registry.

The Dagster assets in `retail_assets.defs` call these plain functions; nothing here imports dagster.
"""
