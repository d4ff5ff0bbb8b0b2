# One image for every Duely process; docker-compose.yml picks the module to run.
FROM python:3.11-slim
# The PDFs (invoice, receipt) embed DejaVu Sans.
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY constraints.txt ./
COPY libs ./libs
COPY services ./services
RUN pip install --no-cache-dir -c constraints.txt \
      ./libs/contracts ./libs/runtime ./libs/presentation ./libs/devstack ./services/invoicing ./services/payments \
      ./services/dunning ./services/notifications ./services/portal ./services/gateway
ENV PYTHONUNBUFFERED=1 DUELY_MODE=production DUELY_VAR_DIR=/var/lib/duely
USER nobody
