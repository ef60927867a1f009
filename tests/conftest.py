"""Test-wide settings: Hypothesis draws the same examples on every run (a derandomized
profile, no example database), so a CI run is reproducible like every other seeded check."""

from __future__ import annotations

try:
    from hypothesis import settings
except ImportError:  # pragma: no cover - the dev extra installs it
    pass
else:
    settings.register_profile("modelcollapse", derandomize=True, database=None)
    settings.load_profile("modelcollapse")
