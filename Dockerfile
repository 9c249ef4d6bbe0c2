# Skillport Connector image. Not exercised by CI here (no container engine on these machines).
FROM python:3.12-slim
RUN apt-get update && apt-get install -y --no-install-recommends git ca-certificates \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install --no-cache-dir .
RUN useradd --create-home --uid 10001 skillport && mkdir -p /data && chown skillport /data
USER skillport
# Listening on every address: the server refuses to start without an identity provider
# (SKILLPORT_GOOGLE_*, SKILLPORT_ENTRA_* or SKILLPORT_OIDC_*); the development sign-in is
# for loopback only, outside a container.
ENV SKILLPORT_HOST=0.0.0.0 SKILLPORT_PORT=8787 SKILLPORT_DATA_DIR=/data SKILLPORT_LOG_FORMAT=json
EXPOSE 8787
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8787/healthz')"
CMD ["skillport-connector", "serve"]
