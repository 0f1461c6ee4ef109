"""sohoa's ingest side: intake, the pipeline, extraction (OCR, PDF, images), jobs, the Celery app
and tasks, the stuck-job sweeper, verify, backup and OCR evaluation. Uses `domain`, never `app`."""
