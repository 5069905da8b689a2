"""The public record's tests borrow the claims tests' builders (a plan, a claimant, a crowd)."""

from __future__ import annotations

import sys
from pathlib import Path

CLAIMS = str(Path(__file__).parent.parent / "claims")
if CLAIMS not in sys.path:
    sys.path.append(CLAIMS)
