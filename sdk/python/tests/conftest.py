"""Bindings for the SDK's tests: componentize-py generates the real
``wit_world`` package from the repository's wit/ (its import functions
raise NotImplementedError outside a component; tests replace the ones they
need)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def pytest_configure(config):
    tool = os.environ.get("COMPONENTIZE_PY") or shutil.which("componentize-py")
    if tool is None:
        raise pytest.UsageError("componentize-py is needed (pip install componentize-py==0.25.1, or set COMPONENTIZE_PY)")
    out = Path(__file__).resolve().parent / ".bindings"
    shutil.rmtree(out, ignore_errors=True)
    subprocess.run([tool, "-d", str(ROOT / "wit"), "-w", "app-plugin", "bindings", str(out)], check=True, capture_output=True)
    sys.path.insert(0, str(out))
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
