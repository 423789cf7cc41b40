"""The routes' handlers, by resource. Each is called by its guard (gateway/web/guard.py) with
the caller and the parsed input already checked, and makes one procedure call."""
