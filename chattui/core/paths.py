"""Where chattui keeps its files (platformdirs), with ``CHATTUI_HOME`` putting all under one dir.

Nothing here touches the disk at import time; :meth:`Paths.ensure` creates directories when a
caller is about to write.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from chattui.core.problems import Problem, ProblemError

__all__ = ["APP_NAME", "Paths", "PathsError"]

APP_NAME = "chattui"


class PathsError(ProblemError, OSError):
    """A directory chattui needs exists but is not a directory, or cannot be created
    (``files.*`` problems)."""


@dataclass(frozen=True)
class Paths:
    """The directories chattui reads and writes."""

    config_dir: Path
    data_dir: Path
    cache_dir: Path
    themes_dir: Path
    """User themes (TOML files); bundled themes ship inside the package."""

    @classmethod
    def discover(cls, environ: Mapping[str, str] | None = None) -> Paths:
        """Resolve the directories from ``CHATTUI_HOME`` or the platform's conventions."""
        env = os.environ if environ is None else environ
        home = env.get("CHATTUI_HOME")
        if home:
            root = Path(home).expanduser()
            config = root / "config"
            return cls(config, root / "data", root / "cache", config / "themes")
        import platformdirs

        config = Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))
        return cls(
            config_dir=config,
            data_dir=Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
            cache_dir=Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)),
            themes_dir=config / "themes",
        )

    @property
    def config_file(self) -> Path:
        return self.config_dir / "config.toml"

    @property
    def credentials_file(self) -> Path:
        return self.config_dir / "credentials.toml"

    @property
    def roles_dir(self) -> Path:
        """The user's roles (system prompts to start with), one TOML file each."""
        return self.config_dir / "roles"

    @property
    def conversations_dir(self) -> Path:
        return self.data_dir / "conversations"

    @property
    def log_file(self) -> Path:
        return self.cache_dir / "chattui.log"

    def ensure(self, directory: Path) -> Path:
        """Create ``directory`` (private to the user) if needed and return it.

        Raises:
            PathsError: it exists but is not a directory, or cannot be created.
        """
        try:
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        except FileExistsError:
            raise PathsError(Problem("files.not_dir", {"path": str(directory)})) from None
        except OSError as error:
            reason = str(error.strerror or error)
            problem = Problem("files.cannot_create", {"path": str(directory), "error": reason})
            raise PathsError(problem) from None
        if not directory.is_dir():
            raise PathsError(Problem("files.not_dir", {"path": str(directory)}))
        return directory

    def describe(self) -> dict[str, Path]:
        """Name -> directory (and the debug log's file), for ``chattui --paths``."""
        return {
            "config": self.config_dir,
            "data": self.data_dir,
            "cache": self.cache_dir,
            "themes": self.themes_dir,
            "log": self.log_file,
        }
