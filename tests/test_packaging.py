"""What the package index and pip see: ranges, not pins; a licence; metadata; a README that
starts with pip (``make package`` builds and checks the files themselves)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _requirements() -> list[str]:
    extras = PROJECT["optional-dependencies"].values()
    return [*PROJECT["dependencies"], *(r for group in extras for r in group)]


def test_no_requirement_is_pinned_to_one_version() -> None:
    """An exact pin (torch==2.13.0) makes nasperf uninstallable beside any other version."""
    pinned = [r for r in _requirements() if re.search(r"===?", r)]
    assert pinned == []


def test_torch_is_a_range_with_the_tested_lowest_version() -> None:
    torch = {r for r in _requirements() if re.match(r"torch\b", r)}
    assert torch == {"torch>=2.3"}
    assert "torch==" in (ROOT / "Makefile").read_text()  # the build machines' wheel, pinned there


def test_licence_and_metadata() -> None:
    assert PROJECT["license"] == "Apache-2.0"  # an SPDX expression, not the deprecated table
    assert (ROOT / "LICENSE").read_text().lstrip().startswith("Apache License")
    assert PROJECT["license-files"] == ["LICENSE"]
    assert PROJECT["authors"] and PROJECT["urls"]["Documentation"]
    classifiers = PROJECT["classifiers"]
    assert "Programming Language :: Python :: 3.11" in classifiers
    assert not any(c.startswith("License ::") for c in classifiers)  # the SPDX field says it


def test_the_sdist_leaves_out_the_test_suite_whole() -> None:
    manifest = (ROOT / "MANIFEST.in").read_text().splitlines()
    assert "prune tests" in manifest


def test_the_readme_starts_with_pip() -> None:
    """The README is the package's index page: its first screen is for a pip user."""
    first_screen = "\n".join((ROOT / "README.md").read_text().splitlines()[:30])
    assert "pip install nasperf" in first_screen
    assert first_screen.index("pip install") < first_screen.find("make ") or (
        "make " not in first_screen
    )
