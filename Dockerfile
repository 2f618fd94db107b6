# podsec as a container KRM function (transforms/container/*.yaml run `docker run podsec:latest`):
#   docker build -t podsec:latest .
# A static binary on an empty image, run as nobody (as kustomize runs functions), entrypoint `podsec krm`.
FROM rust:1-alpine AS build
RUN apk add --no-cache musl-dev
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin podsec

FROM scratch
COPY --from=build /src/target/release/podsec /podsec
USER 65534:65534
ENTRYPOINT ["/podsec", "krm"]
