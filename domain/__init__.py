"""What the web app, the command line and the workers share: settings, the Elasticsearch client
and index lifecycle, the record model, validity, the agency register, Vietnamese text and the
search contract. Nothing here imports Flask views or Celery tasks."""
