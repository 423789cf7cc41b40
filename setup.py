"""The one build step pyproject.toml cannot declare: the package carries its SQL.

The SQL lives in the top-level ``sql/`` (the project's layout, and where a DBA reads it), not
inside the ``gateway`` package. A checkout or an editable install reads it in place; a
non-editable install (``pip install .``, a wheel, the Docker image) has no checkout beside
it, so ``build_py`` copies ``sql/`` into the built package as ``gateway/sql``.
``gateway/db/sqlfiles.py`` decides which of the two a running seguimiento reads. The sdist
carries ``sql/`` at the top (MANIFEST.in), so a wheel built from it gets the copy too.
Everything else about the package is in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SQL_SOURCE = Path(__file__).resolve().parent / "sql"


class BuildPyWithSql(build_py):
    """``build_py``, then ``sql/`` copied into the built ``gateway`` package."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return  # an editable install reads the checkout's sql/ itself
        if not (SQL_SOURCE / "migrations").is_dir():
            raise SystemExit(f"setup.py: no SQL at {SQL_SOURCE}; build from a checkout or from the sdist")
        target = Path(self.build_lib) / "gateway" / "sql"
        # Start clean: setuptools reuses build/ between builds, and a procedure file deleted
        # from sql/ must not live on in the next wheel (migrate would install it again).
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(SQL_SOURCE, target, ignore=shutil.ignore_patterns("*~", ".*"))


setup(cmdclass={"build_py": BuildPyWithSql})
