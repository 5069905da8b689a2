"""The concurrency harness runs on PostgreSQL (READ COMMITTED), where racing transactions really
interleave; SQLite's write transactions (BEGIN IMMEDIATE) take turns. It borrows the builders of
the API, claims and money tests."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).parent
for kit in ("api", "claims", "money"):
    path = str(HERE.parent / kit)
    if path not in sys.path:
        sys.path.append(path)
