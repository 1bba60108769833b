# syntax=docker/dockerfile:1
# check=skip=InvalidDefaultArgInFrom
#
# One Dockerfile, four images. Pick the service with the SERVICE build argument:
#
#   docker build --build-arg SERVICE=registry -t ocop-registry .
#
# SERVICE is one of registry | evaluation | promotion | reporting; it has no default on purpose
# (hence the skipped lint check above), so a build without it fails. Each image holds only that
# service's locked dependencies (uv.lock) and the workspace packages it needs, installed
# non-editable into /opt/venv; the source tree is not shipped. Settings are OCOP_* environment
# variables (libs/platform/src/ocop_platform/settings.py); see docker-compose.yml and deploy/k8s/.

ARG PYTHON_IMAGE=python:3.11-slim
ARG SERVICE

# ---------------------------------------------------------------------------------------------
# build: resolve one service's dependencies from the lock file into /opt/venv
# ---------------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS build
ARG SERVICE
ARG UV_VERSION=0.13.9

RUN case "${SERVICE}" in \
      registry|evaluation|promotion|reporting) ;; \
      *) echo "build with --build-arg SERVICE=registry|evaluation|promotion|reporting (got '${SERVICE}')" >&2; \
         exit 1 ;; \
    esac

# uv comes from PyPI, like every other dependency.
RUN pip install --no-cache-dir --disable-pip-version-check "uv==${UV_VERSION}"

ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3.11 \
    UV_PROJECT_ENVIRONMENT=/opt/venv

WORKDIR /src

# Third-party dependencies first: this layer changes only when uv.lock does.
RUN --mount=type=cache,target=/root/.cache/uv \
    --mount=type=bind,source=uv.lock,target=uv.lock \
    --mount=type=bind,source=pyproject.toml,target=pyproject.toml \
    uv sync --frozen --no-dev --no-install-workspace --package "ocop-${SERVICE}"

# Then the workspace packages (contracts, platform, the service), as regular wheels.
COPY . .
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable --package "ocop-${SERVICE}"

# ---------------------------------------------------------------------------------------------
# runtime: the same Python base, the virtual environment, a non-root user
# ---------------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
ARG SERVICE

# A fixed numeric UID so Kubernetes can verify runAsNonRoot.
RUN groupadd --system --gid 10001 ocop \
 && useradd --system --uid 10001 --gid ocop --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin ocop

COPY --from=build /opt/venv /opt/venv

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    SERVICE=${SERVICE} \
    OCOP_HTTP_HOST=0.0.0.0

USER 10001:10001

# Liveness of the process only; readiness (Mongo and Kafka answer) is /health/ready, used by
# compose and Kubernetes. The port is the service's OCOP_HTTP_PORT, set per service below.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health/live' % os.environ['OCOP_HTTP_PORT'], timeout=4)"]

# exec: the service is PID 1 and receives SIGTERM directly.
CMD ["/bin/sh", "-c", "exec \"ocop-${SERVICE}\""]

# ---------------------------------------------------------------------------------------------
# per service: its HTTP port (the same defaults as the native stack), then the final image
# ---------------------------------------------------------------------------------------------
FROM runtime AS registry
ENV OCOP_HTTP_PORT=8101
EXPOSE 8101

FROM runtime AS evaluation
ENV OCOP_HTTP_PORT=8102
EXPOSE 8102

FROM runtime AS promotion
ENV OCOP_HTTP_PORT=8103
EXPOSE 8103

FROM runtime AS reporting
ENV OCOP_HTTP_PORT=8104
EXPOSE 8104

FROM ${SERVICE} AS final
