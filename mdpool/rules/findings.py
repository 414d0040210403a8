"""What a rule reports: `(loc, message)` for an error, `(loc, message, "warning")` for a warning."""

from __future__ import annotations

Finding = tuple  # (loc, message) for an error, (loc, message, "warning") for a warning
WARNING = "warning"
