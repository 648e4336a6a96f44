"""ASGI entry point (``uvicorn calendarsite.asgi:application``). The webhook's body is counted
as it arrives and refused past meetlink's limit before Django copies it to a file."""

import os

from django.core.asgi import get_asgi_application

from meetlink.integrations.django import limit_webhook_bodies

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "calendarsite.settings")
application = limit_webhook_bodies(get_asgi_application(), prefix="/meetlink/")
