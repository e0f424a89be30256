"""Papermill orchestration of the annual evaluation, and its manifest."""

import sys

# papermill imports nbformat, which imports jsonschema, which compiles 38 IRI grammars at import when
# rfc3987-syntax is installed (2 to 4 s in every process that runs notebooks: the CLI and each worker).
# nbformat validates notebooks without format checks and nothing else here checks an IRI, so the import is
# declined before papermill is first imported (jsonschema expects that package may be missing). A process
# that imported jsonschema already keeps it as it was.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]

from evalkit.runner.run import DEFAULT_KERNEL, DEFAULT_TIMEOUT, NotebookRun, RunResult, discover, run  # noqa: E402

__all__ = ["DEFAULT_KERNEL", "DEFAULT_TIMEOUT", "NotebookRun", "RunResult", "discover", "run"]
