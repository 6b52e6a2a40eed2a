"""The peer of benchmark P1: the same step written the way a typical Django team would (django-fsm-2,
django-fsm-log, the plain ORM). Installed only by bench/settings.py, never by the project's settings."""
