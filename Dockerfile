# The container image of invited: the static binary FROM scratch, as
# goreleaser builds images. The binary is built on the host, so the build
# context is not the repository but a directory holding exactly
#
#   invited               CGO_ENABLED=0 go build -trimpath ./cmd/invited
#   ca-certificates.crt   the host's CA bundle, for outbound TLS (SMTP, SMS,
#                         webhooks, JWKS, OAuth providers, PostgreSQL)
#   passwd, group         the entries of the unprivileged user invited (65532)
#   data/                 an empty directory, to become /data
#
# scripts/build-image.sh assembles it and builds; see "Container image" in
# docs/deployment.md. Dockerfile.source builds the same image from the
# source, for builders that can pull golang.
#
# HEALTHCHECK is part of the Docker image format only: podman and buildah
# drop it from their default OCI format, so build with --format docker
# there (the script does).
FROM scratch

ARG VERSION=dev
ARG COMMIT=
ARG CREATED=
LABEL org.opencontainers.image.title="invited" \
      org.opencontainers.image.description="Self-hostable invitation and membership service" \
      org.opencontainers.image.source="https://github.com/invitedhq/invited" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${COMMIT}" \
      org.opencontainers.image.created="${CREATED}"

COPY passwd group /etc/
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
# An empty directory owned by the user: a fresh named volume mounted on
# /data starts as a copy of it, so the user can write the database there.
COPY --chown=65532:65532 data /data
COPY invited /invited

USER 65532:65532
# SQLite puts its temporary files in the working directory when there is no
# /tmp, as in this image.
WORKDIR /data
VOLUME /data
ENV INVITED_ADDR=:8080 \
    INVITED_DATABASE_URL=sqlite:/data/invited.db
EXPOSE 8080
# Readiness: the database answers with every migration applied and a
# signing key is loaded. invited healthcheck finds the port in INVITED_ADDR.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["/invited", "healthcheck"]
ENTRYPOINT ["/invited"]
CMD ["serve"]
