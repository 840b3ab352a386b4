"""`python -m tierguard.examplegen`."""

from __future__ import annotations

import sys

from tierguard.examplegen.cli import main

sys.exit(main())
