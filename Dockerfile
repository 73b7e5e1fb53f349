# Sekisho's container image, FROM scratch: no registry is needed to build it. Do not build this file on its
# own: `./build.sh image` compiles dist/sekisho and stages the context this file expects in dist/image/ —
#   rootfs/  /sekisho, the glibc libraries and the dynamic loader `ldd dist/sekisho` lists (at their paths),
#            /etc/passwd and /etc/group with the user sekisho (10001), /etc/nsswitch.conf, the CA
#            certificates (/etc/ssl/certs/ca-certificates.crt) and /tmp (mode 1777)
#   data/    an empty directory: the ledger's volume, owned by sekisho
# — and builds it with podman or docker. There is no shell in the image: `sekisho health` is the health check.
FROM scratch

ARG VERSION=0.0.0
LABEL org.opencontainers.image.title="sekisho" \
      org.opencontainers.image.description="Card-issuer authorization processor for prepaid cards (ISO 8583)" \
      org.opencontainers.image.version="${VERSION}"

COPY rootfs/ /
COPY --chown=10001:10001 data/ /var/lib/sekisho/

# The embedded SQLite ledger lives in the volume; the Processor API listens on every interface of the
# container. Everything else is `sekisho run`'s defaults; any SEKISHO_* variable or flag overrides them.
ENV SEKISHO_DB=/var/lib/sekisho/ledger.db \
    SEKISHO_API=0.0.0.0:8080 \
    TMPDIR=/tmp
WORKDIR /var/lib/sekisho
VOLUME ["/var/lib/sekisho"]
# The Processor API (/v1, /healthz, /readyz, /metrics). The card network is dialled out: no port for it.
EXPOSE 8080/tcp

USER 10001:10001
# `sekisho run` is PID 1 and handles SIGTERM itself: the ordered shutdown, exit 0 when complete.
STOPSIGNAL SIGTERM
# Asks GET /readyz on the address in SEKISHO_API (0.0.0.0 is probed on 127.0.0.1): healthy once a link is
# signed on and the ledger is open.
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 CMD ["/sekisho", "health"]
ENTRYPOINT ["/sekisho"]
CMD ["run"]
