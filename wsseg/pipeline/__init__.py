"""One-command pipelines: weak labels -> pseudo-masks -> quality -> second stage -> evaluation.

``tools/run_pipeline.py CONFIG`` runs :func:`run_pipeline`; the stages are in
:mod:`wsseg.pipeline.stages`, the content digests that decide what is up to date in
:mod:`wsseg.pipeline.digest`.
"""
from .runner import ORDER, run_pipeline  # noqa: F401
from .stages import STAGES, StageError  # noqa: F401
