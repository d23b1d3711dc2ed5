# One image for both services: the bot (default command) and the Streamlit dashboard
# (docker-compose.yml overrides the command). Every dependency installs from a wheel, so no
# compiler is ever installed and nothing needs cleaning up afterwards.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    STREAMLIT_BROWSER_GATHER_USAGE_STATS=false

# uid/gid 1000 so bind-mounted ./data and ./config owned by the host's first user are writable.
RUN groupadd --gid 1000 polybot \
 && useradd --uid 1000 --gid polybot --home-dir /home/polybot --create-home --shell /usr/sbin/nologin polybot

WORKDIR /app

COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

# Code stays root-owned (read-only to the app); only data/ and config/ are the app's to write.
COPY . .
RUN mkdir -p data config && chown -R polybot:polybot data config

USER polybot

EXPOSE 8501

CMD ["python", "-m", "bot", "run"]
