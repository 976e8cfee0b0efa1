"""Overlays and plots (matplotlib's Agg canvas)."""
from .plots import colorize, overlay, plot_confusion, plot_curves, save_overlay_grid  # noqa: F401
