"""The example's Django settings. The environment overrides what a deployment changes."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "dev only: set DJANGO_SECRET_KEY")
DEBUG = os.environ.get("DJANGO_DEBUG") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "meetlink.integrations.django",  # settings.MEETLINK, meetlink_migrate, meetlink_worker
    "calendarsite",  # the host's own events
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "calendarsite.urls"
WSGI_APPLICATION = "calendarsite.wsgi.application"
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}]

# One SQLite file for the host's tables and meetlink's (meetlink_migrate makes those).
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DJANGO_DATABASE", str(BASE_DIR / "example.db")),
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The demo sign-in keeps (tenant, user) in a signed cookie: no session table.
SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"

USE_TZ = True
TIME_ZONE = "Asia/Tokyo"

MEETLINK = {
    "FACTORY": "calendarsite.meet:build_meetlink",  # a function returning the MeetLink
    "DATABASE": "default",  # where meetlink_migrate puts meetlink's tables
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"meetlink": {"handlers": ["console"], "level": "INFO"}},
}
