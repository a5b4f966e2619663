FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
# Static files are collected at build time and served by WhiteNoise.
RUN DEBUG=false SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput -v 0

RUN useradd --create-home factbase && mkdir -p /app/media && chown factbase /app/media
USER factbase
EXPOSE 8000
ENV BIND=0.0.0.0:8000
CMD ["sh", "-c", "python manage.py migrate --noinput && gunicorn factbase.wsgi"]
