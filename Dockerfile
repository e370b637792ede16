# Christen in a container: `docker compose up` (see docker-compose.yml) runs it with
# PostgreSQL. The image itself has no PostgreSQL server: set DATABASE_URL.

# --- build ----------------------------------------------------------------------------
FROM rust:1-bookworm AS builder
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src

# Dependencies first, in their own layer: built against stub sources (one for every
# target path the manifest names), so that a change to our code does not rebuild them.
COPY Cargo.toml Cargo.lock ./
RUN set -eu; \
    for p in src/main.rs src/lib.rs $(sed -n 's/^[[:space:]]*path[[:space:]]*=[[:space:]]*"\([^"]*\.rs\)".*/\1/p' Cargo.toml); do \
      mkdir -p "$(dirname "$p")"; echo 'fn main() {}' > "$p"; \
    done; \
    cargo build --release --locked; \
    rm -rf src benches examples tests

# Then the application; touch so cargo rebuilds it rather than trusting old mtimes.
COPY . .
RUN touch src/main.rs src/lib.rs \
 && cargo build --release --locked --bin christen \
 && install -m 0755 target/release/christen /usr/local/bin/christen

# --- run ------------------------------------------------------------------------------
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq5 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /var/lib/christen --create-home christen
COPY --from=builder /usr/local/bin/christen /usr/local/bin/christen
USER christen
WORKDIR /var/lib/christen
ENV CHRISTEN_BIND=0.0.0.0:8080 \
    CHRISTEN_DATA_DIR=/var/lib/christen/data \
    RUST_LOG=info
EXPOSE 8080
# No curl in the image: bash's /dev/tcp asks /healthz and wants a 200 status line.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /healthz HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["christen"]
CMD ["serve"]
