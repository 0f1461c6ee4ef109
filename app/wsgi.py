"""WSGI entry point for gunicorn: `gunicorn app.wsgi:app`."""

import gc

from app import create_app
from domain.text.vietnamese import warm_segmenter

app = create_app()
# Each gunicorn worker loads the word segmenter before its first request, not during it.
warm_segmenter()
# What is loaded by now (the app, the segmenter's model and dictionaries) lives as long as the
# worker, so it is kept out of the cyclic collector: each full pass walked all of it (47-65 ms
# measured) and added that to whichever request happened to set it off.
gc.freeze()
