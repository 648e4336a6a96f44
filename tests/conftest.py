"""Suite-wide settings: Hypothesis without wall-clock deadlines (this machine is shared and
noisy, and no test asserts a timing), and deterministic examples under CI so that a run
cannot fail on a draw it never made before."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "meetlink",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=os.environ.get("CI") == "true",
)
settings.load_profile("meetlink")
