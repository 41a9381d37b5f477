# syntax=docker/dockerfile:1
# Multi-stage build: a static emulator binary on a minimal, non-root image.
FROM golang:1.26 AS build
# The commit `emulator -version` reports: .git is not in the build context
# (.dockerignore), so the Go toolchain cannot stamp it. VCS_REVISION=$(git rev-parse HEAD).
ARG VCS_REVISION=
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w -X main.buildCommit=${VCS_REVISION}" -o /out/emulator ./cmd/emulator \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/emulator /usr/local/bin/emulator
COPY --from=build --chown=65532:65532 /out/data /data
COPY testdata/scenarios /scenarios
USER 65532:65532
VOLUME ["/data"]
EXPOSE 4580
ENV EMULATOR_ADDR=0.0.0.0:4580 EMULATOR_DATA=/data/emulator.db
ENTRYPOINT ["/usr/local/bin/emulator"]
