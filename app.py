"""The gunicorn and Flask CLI target: `gunicorn 'app:create_app()'`, `flask --app app ...`."""

from allforces_feeds import create_app

__all__ = ["create_app"]
