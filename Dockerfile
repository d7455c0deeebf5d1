# syntax=docker/dockerfile:1

# --- build: a virtualenv with the dependencies, then the project -------------------------------
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /venv
ENV PATH=/venv/bin:$PATH
WORKDIR /src

# The dependencies get their own layer, rebuilt only when pyproject.toml or the lock changes;
# the lock's exact versions, as the tests ran them.
COPY pyproject.toml requirements.lock ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > requirements.txt \
 && pip install -c requirements.lock -r requirements.txt

COPY README.md ./
COPY src ./src
RUN pip install --no-deps .

# --- runtime: the virtualenv, the migrations, an unprivileged user ------------------------------
FROM python:3.11-slim
RUN useradd --create-home --uid 10001 pasok \
 && mkdir /data && chown pasok:pasok /data
COPY --from=build /venv /venv
WORKDIR /app
# `pasok migrate` finds alembic.ini in the working directory.
COPY alembic.ini ./
COPY alembic ./alembic
ENV PATH=/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PASOK_DATA_DIR=/data
USER pasok
EXPOSE 8000
ENTRYPOINT ["pasok"]
CMD ["api", "--host", "0.0.0.0", "--port", "8000"]
