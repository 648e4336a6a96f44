"""Ready-made host routes (the OAuth callback and the provider webhook) for web frameworks:
[`meetlink.integrations.flask`][meetlink.integrations.flask],
[`meetlink.integrations.starlette`][meetlink.integrations.starlette] (FastAPI too) and
[`meetlink.integrations.django`][meetlink.integrations.django] (with a Django app: settings,
``meetlink_worker``, ``meetlink_migrate``), all over the framework-neutral
[`meetlink.integrations.endpoints`][meetlink.integrations.endpoints]. Each framework is an
optional extra: ``pip install "meetlink[flask]"``, ``"meetlink[starlette]"`` or
``"meetlink[django]"``."""
