"""Shared fixtures: settings built the way the CLI builds them, and the corpus folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.settings import Settings

DATA = Path(__file__).parent / "data"


@pytest.fixture
def settings() -> Settings:
    return Settings()
