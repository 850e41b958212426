"""Reserved for the tasks of the engine, reminders and feeds issues (not built yet)."""
