"""`tierguard.yaml`: discovery, declarative schema, and the typed frozen `Config`."""

from __future__ import annotations

from tierguard.config.load import ConfigError, find_config, load_config
from tierguard.config.model import Config, Environment

__all__ = ["Config", "ConfigError", "Environment", "find_config", "load_config"]
