"""The Textual dashboard: clients, dispatches, live reports. Calls core functions only."""
