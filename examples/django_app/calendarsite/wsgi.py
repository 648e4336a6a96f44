"""WSGI entry point (``gunicorn calendarsite.wsgi --threads 8``): sync views."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "calendarsite.settings")
application = get_wsgi_application()
