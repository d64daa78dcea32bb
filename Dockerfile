# The kube-mcp image: the server and the first-party plugins, non-root, on a
# minimal base (glibc and CA certificates, no shell).
#
#   docker build -t kube-mcp .
FROM rust:1.95-bookworm AS build
RUN rustup target add wasm32-wasip2 && rustup component add clippy rustfmt
WORKDIR /src
COPY . .
RUN make build

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/target/release/kube-mcp /usr/bin/kube-mcp
COPY --from=build /src/target/plugins/kube-core.wasm /src/target/plugins/kube-ops.wasm /src/target/plugins/kube-rollouts.wasm /src/target/plugins/kube-nodes.wasm /src/target/plugins/kube-prompts.wasm /src/target/plugins/kube-exec.wasm /src/target/plugins/kube-http.wasm /src/target/plugins/helm.wasm /usr/lib/kube-mcp/plugins/
USER 10001:10001
EXPOSE 9000 9090
ENTRYPOINT ["/usr/bin/kube-mcp"]
CMD ["serve", "--host", "0.0.0.0"]
