# One image for every credbridge process; docker-compose.yml picks the command (gunicorn app or Kafka worker).
FROM python:3.11.14-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
RUN useradd --system --uid 10001 credbridge
# pyproject.toml names no readme, so none is copied (the repo has no README.md for the build to need).
COPY pyproject.toml ./
COPY shared ./shared
COPY services ./services
COPY deploy/gunicorn.conf.py ./deploy/gunicorn.conf.py
RUN pip install .
USER credbridge
# The commit credbridge_build_info reports (docker-compose passes CREDBRIDGE_COMMIT as a build arg).
ARG CREDBRIDGE_COMMIT=unknown
ENV CREDBRIDGE_COMMIT=${CREDBRIDGE_COMMIT}
# Multiprocess metrics need a writable, per-container folder that starts empty.
ENV PROMETHEUS_MULTIPROC_DIR=/tmp/metrics
ENTRYPOINT ["sh", "-c", "rm -rf \"$PROMETHEUS_MULTIPROC_DIR\" && mkdir -p \"$PROMETHEUS_MULTIPROC_DIR\" && exec \"$@\"", "--"]
CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py", "-b", "0.0.0.0:8000", "services.ingest.app:create_app()"]
