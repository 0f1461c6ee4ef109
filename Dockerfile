FROM python:3.11-slim-bookworm
RUN apt-get update && apt-get install -y --no-install-recommends \
        tesseract-ocr tesseract-ocr-vie poppler-utils curl \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /srv/sohoa
COPY setup.cfg pyproject.toml README.md ./
COPY app ./app
COPY indexer ./indexer
COPY mappings ./mappings
RUN pip install --no-cache-dir . && useradd --system sohoa && mkdir -p /data && chown sohoa /data
USER sohoa
ENV SOHOA_DATA_DIR=/data SOHOA_MAPPINGS_DIR=/srv/sohoa/mappings OMP_THREAD_LIMIT=1
