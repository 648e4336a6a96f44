"""A reference host web app for meetlink: the seed's screens (personal settings with "Link
with Zoom", the event form's "Web conference" section, the event detail with the URL and the
owner's "start meeting", the "+" menu's trial, the admin's contract), an inbox of the mail
participants received and an operator page, in Japanese and English.

``meetlink demo --web [--port N]`` serves it on 127.0.0.1 with the embedded defaults (a
SQLite file, the Zoom, Teams and Google Meet emulators on loopback, captured mail, a worker
thread).
Built only on meetlink's public API and
[`meetlink.integrations.flask`][meetlink.integrations.flask]; needs the ``web`` extra (Flask).
[`meetlink.webdemo.server.open_web_demo`][meetlink.webdemo.server.open_web_demo] runs it from
Python.
"""
