"""Kept for the routes' imports: the audit log and webhooks live in `services.events`, where the
web pages reach them too."""

from huzhu.services.events import notify_person, record

__all__ = ["notify_person", "record"]
