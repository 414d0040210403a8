"""The checks of `mdpool verify`, one module each, shaped like mdpool.doctor.checks (NAME, CHEAP, applies, run)."""
