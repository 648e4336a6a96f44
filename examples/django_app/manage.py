#!/usr/bin/env python
"""Django's command line for the example (``python manage.py runserver``, ``migrate``,
``meetlink_migrate``, ``meetlink_worker``...)."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "calendarsite.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
