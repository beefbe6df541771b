# dotbox/review-tools: the relays of a review environment (socat) and the runtime of the example
# application (python3 with its standard library, psql). Built locally FROM the offline base
# image; packages come from Debian's mirrors through the build's network only when the base
# image lacks them (a base built with socat and python3 needs nothing).
ARG BASE=dotbox/base:pg17
FROM ${BASE}
RUN if ! command -v socat >/dev/null || ! python3 -c 'import http.server' 2>/dev/null; then \
      apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
        --no-install-recommends socat python3 >/dev/null && \
      rm -rf /var/lib/apt/lists/*; \
    fi
LABEL dotbox.managed-by=dotbox dotbox.role=review-tools
