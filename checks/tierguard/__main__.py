from __future__ import annotations

from tierguard.cli.main import entry

entry()
