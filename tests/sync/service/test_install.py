"""A new admin's first minutes, outside the checkout: the built wheel installed into a fresh venv, run in an empty
folder. ``init`` writes a workbook and a commented config.toml from the package alone; ``demo`` works there.

The wheel is built from a copy of the source tree (as a fresh clone would be). Its dependencies are lent from
this test run's environment through a path entry placed after the venv's own site-packages, so nothing is
downloaded and the wheel's own files always win; the test proves it imports the installed copy. CI also runs
the full ``pip install`` with its dependencies from the registry (.ci/run).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
NOW = "2026-11-23T10:00"
NOT_SOURCE = shutil.ignore_patterns(
    ".venv", ".git", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", "demo", "state", "outbox", "results"
)

pytestmark = pytest.mark.slow


def run(command: list[str | Path], cwd: Path, environment: dict[str, str] | None = None) -> str:
    """Run ``command``; return its stdout. Fail the test with its output if it exits non-zero."""
    done = subprocess.run([str(part) for part in command], cwd=cwd, env=environment, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, f"{command}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The ``bin`` folder of a fresh venv holding the wheel built from a copy of this source tree."""
    base = tmp_path_factory.mktemp("install")
    source = base / "source"
    shutil.copytree(REPO, source, ignore=NOT_SOURCE)
    run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", base / "dist", source], base)
    wheels = list((base / "dist").glob("sheetdesk-*.whl"))
    assert len(wheels) == 1, wheels
    venv = base / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", venv], base)
    python = venv / "bin" / "python"
    run([sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-deps", wheels[0]], base)
    lend_dependencies(python)
    return venv / "bin"


def lend_dependencies(python: Path) -> None:
    """Put this environment's site-packages on the fresh venv's path, after its own (a plain path line: the
    editable install's hooks there are not run, so the checkout stays out of reach)."""
    site_packages = Path(run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], python.parent)
                         .strip())
    (site_packages / "zz_lent_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n", encoding="utf-8")


def clean_environment() -> dict[str, str]:
    """No PYTHONPATH, no debug switch: only what the venv itself provides."""
    environment = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "SHEETDESK_DEBUG")}
    return environment


def test_the_installed_command_runs_the_installed_copy_not_the_checkout(installed, tmp_path):
    where = run([installed / "python", "-c", "import sync; print(sync.__file__)"], tmp_path, clean_environment())
    assert str(installed.parent) in where and str(REPO) not in where


def test_init_in_an_empty_folder_writes_the_workbook_and_a_commented_config(installed, tmp_path):
    output = run([installed / "sheetdesk", "init", "desk.xlsx", "--sample", "5"], tmp_path, clean_environment())
    assert "created desk.xlsx" in output and "wrote config.toml" in output
    assert sorted(path.name for path in tmp_path.iterdir()) == ["config.toml", "desk.xlsx"]
    assert "# xlsx (a local .xlsx file)" in (tmp_path / "config.toml").read_text(encoding="utf-8")
    output = run([installed / "sheetdesk", "check"], tmp_path, clean_environment())
    assert "main: 5 tickets checked" in output


def test_demo_in_an_empty_folder_fills_the_outbox(installed, tmp_path):
    output = run([installed / "sheetdesk", "demo", "--sample", "8", "--now", NOW], tmp_path, clean_environment())
    assert "wrote config.toml" in output and "8 tickets" in output
    assert list((tmp_path / "outbox").glob("*.eml"))
