"""Django's PostgreSQL backend with a health check that costs no round trip when the
connection has nothing to say (base.py). Settings name it as the ENGINE of every PostgreSQL
database (factbase/settings.py)."""
