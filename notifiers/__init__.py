"""Reminders and escalations delivered through Apprise: outbox, messages, dispatcher."""
