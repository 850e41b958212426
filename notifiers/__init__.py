"""Reserved for the notifiers of the engine, reminders and feeds issues (not built yet)."""
