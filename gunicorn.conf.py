"""gunicorn settings for `make run` and the Procfile; each can be overridden by GUNICORN_* variables."""

import os

bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
worker_class = "sync"
# Load the content once in the master; the workers share its memory (copy-on-write).
preload_app = True
accesslog = os.environ.get("GUNICORN_ACCESSLOG")
timeout = 30
