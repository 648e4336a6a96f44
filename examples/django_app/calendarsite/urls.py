"""The host's pages and meetlink's two routes (``/meetlink/<provider>/callback`` and
``/meetlink/<provider>/webhook``)."""

from django.urls import path

from meetlink.integrations.django import urlpatterns as meetlink_urls

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login", views.login, name="login"),
    path("logout", views.logout, name="logout"),
    path("settings", views.settings, name="settings"),
    path("settings/trial", views.trial, name="trial"),
    path("settings/link", views.link_zoom, name="link_zoom"),
    path("settings/unlink", views.unlink, name="unlink"),
    path("events/new", views.new_event, name="new_event"),
    path("events/<str:event_id>", views.show_event, name="show_event"),
    path("events/<str:event_id>/start", views.start, name="start"),
    path("events/<str:event_id>/delete", views.delete, name="delete"),
    # the process's MeetLink (settings.MEETLINK), made at the first request
    *meetlink_urls(current_user=views.signed_in, redirect_to="/settings"),
]
