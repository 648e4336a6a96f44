"""Ready-made host routes (the OAuth callback and the provider webhook) for web frameworks:
:mod:`meetlink.integrations.flask` and :mod:`meetlink.integrations.starlette` (FastAPI too),
both over the framework-neutral :mod:`meetlink.integrations.endpoints`. Each framework is an
optional extra: ``pip install "meetlink[flask]"`` or ``"meetlink[starlette]"``."""
