"""Reserved for the calendars of the engine, reminders and feeds issues (not built yet)."""
