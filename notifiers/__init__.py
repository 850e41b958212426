"""Delivering what the outbox holds (rows: monev.store.outbox) through Apprise: channels,
sign-in and test messages, the dispatcher, demo sinks."""
