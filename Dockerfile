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
# `pip check`: a broken pin fails the build, not the first start. The nvidia check: the plain
# `xgboost` wheel drags in a 335 MB CUDA NCCL wheel; requirements.txt must pin `xgboost-cpu`.
RUN pip install --no-cache-dir -r requirements.txt \
 && pip check \
 && if pip list 2>/dev/null | grep -qi '^nvidia-'; then echo 'CUDA wheels in the image: pin xgboost-cpu, not xgboost' >&2; exit 1; fi

# Code stays root-owned (read-only to the app); only data/ and config/ are the app's to write.
COPY . .
RUN mkdir -p data config && chown -R polybot:polybot data config

USER polybot

# 8501: the dashboard. 8502: the bot's /health and /api/status (bound to 127.0.0.1 unless config says otherwise).
EXPOSE 8501 8502

CMD ["python", "-m", "bot", "run"]
