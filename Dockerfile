# The gateway (and the seguimiento CLI: migrate, grants, token, import) for docker compose.
FROM python:3.11-slim

WORKDIR /app
COPY pyproject.toml README.md ./
COPY gateway ./gateway
COPY sql ./sql
# Editable, so the package finds sql/ beside it at /app/sql.
RUN pip install --no-cache-dir -e . \
    && useradd --system --no-create-home seguimiento
USER seguimiento

ENV SEGUIMIENTO_HOST=0.0.0.0 \
    SEGUIMIENTO_PORT=8080
EXPOSE 8080
CMD ["seguimiento", "serve"]
