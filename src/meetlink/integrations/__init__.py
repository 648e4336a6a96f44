"""Ready-made host routes (the OAuth callback and the provider webhook) for web frameworks:
[`meetlink.integrations.flask`][meetlink.integrations.flask] and
[`meetlink.integrations.starlette`][meetlink.integrations.starlette] (FastAPI too), both over the
framework-neutral ``meetlink.integrations.endpoints``. Each framework is an optional extra: ``pip
install "meetlink[flask]"`` or ``"meetlink[starlette]"``."""
