# The gateway (and the seguimiento CLI: migrate, grants, token, import) for docker compose.
# Installed as a package, not run from a copy of the source tree: the build stage makes the
# wheel (which carries sql/ as gateway/sql, see setup.py) and the wheels of its dependencies;
# the image installs them and keeps no source. tests/test_wheel.py builds a wheel from the
# files this build stage copies, installs it elsewhere and runs it.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml setup.py MANIFEST.in README.md ./
COPY gateway ./gateway
COPY sql ./sql
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
# The wheels are mounted for this one step (BuildKit, Docker's default builder), not copied,
# so they leave no layer behind.
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-cache-dir --no-index --find-links /wheels seguimiento \
    && useradd --system --no-create-home seguimiento
USER seguimiento

ENV SEGUIMIENTO_HOST=0.0.0.0 \
    SEGUIMIENTO_PORT=8080
EXPOSE 8080
CMD ["seguimiento", "serve"]
