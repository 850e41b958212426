"""Reserved for the flows of the engine, reminders and feeds issues (not built yet)."""
