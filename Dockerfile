FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN useradd --create-home clinic && mkdir -p /app/.local && chown -R clinic /app
USER clinic
EXPOSE 8000
CMD ["gunicorn", "--config", "config/gunicorn.py", "config.wsgi:application", "--bind", "0.0.0.0:8000"]
