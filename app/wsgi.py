"""WSGI entry point for gunicorn: `gunicorn app.wsgi:app`."""

from app import create_app
from domain.text.vietnamese import warm_segmenter

app = create_app()
# Each gunicorn worker loads the word segmenter before its first request, not during it.
warm_segmenter()
