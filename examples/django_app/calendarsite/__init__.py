"""A complete Django host for meetlink: sign in (a demo form, not real authentication), start
the add-on trial, link Zoom, create events with a meeting URL, start and delete them.

Run it against the Zoom emulator (no Zoom account needed), from examples/django_app/::

    pip install -e ".[django]"                   # in a clone of meetlink (docs/quickstart.md)
    meetlink emulator --port 9000 --user alice@example.com \\
        --redirect-uri http://127.0.0.1:8000/meetlink/zoom/callback \\
        --webhook-url http://127.0.0.1:8000/meetlink/zoom/webhook
    # copy client_id, client_secret and webhook_secret from its first line:
    export ZOOM_CLIENT_ID=... ZOOM_CLIENT_SECRET=... ZOOM_WEBHOOK_SECRET=...
    export ZOOM_BASE_URL=http://127.0.0.1:9000 MEETLINK_KEY=$(meetlink keygen)
    python manage.py migrate                     # the host's own table (its events)
    python manage.py meetlink_migrate            # meetlink's tables, in the same database
    python manage.py runserver 8000              # then open http://127.0.0.1:8000
    python manage.py meetlink_worker             # mail, retries, reminders

Against real Zoom, leave ZOOM_BASE_URL unset and use your Marketplace app's values
(docs/zoom-app-setup.md). ``settings.MEETLINK`` names the factory (``calendarsite.meet``);
the process makes one MeetLink from it on first use.

Every request works in the signed-in user's tenant only: ``meetlink.tenant(tenant)`` is the
handle for it, and the host's own events are keyed by ``(tenant, event id)`` too, so a user
of one company never reads, starts or deletes another company's event, even with the same
ids. Pages are Django templates (autoescaped) and every form carries Django's CSRF token;
only meetlink's webhook is exempt (Zoom signs it).
"""
