"""Papermill orchestration of the annual evaluation, and its manifest."""

from evalkit.runner.run import DEFAULT_KERNEL, DEFAULT_TIMEOUT, NotebookRun, RunResult, discover, run

__all__ = ["DEFAULT_KERNEL", "DEFAULT_TIMEOUT", "NotebookRun", "RunResult", "discover", "run"]
