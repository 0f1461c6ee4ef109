"""sohoa's indexing side: extraction, Vietnamese text, records, the index and the Celery tasks."""
