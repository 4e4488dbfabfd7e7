"""The user's own folders: where the CLI keeps its login and the last run ids."""

from __future__ import annotations

import os
from pathlib import Path


def user_config_dir() -> Path:
    """`$XDG_CONFIG_HOME/hawk-dagster`, else `~/.config/hawk-dagster`."""
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "hawk-dagster"
