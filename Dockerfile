# One image with both binaries: drsim (simulator, suite) and the reference merchant.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -o /out/drsim ./cmd/drsim && \
    CGO_ENABLED=0 go build -o /out/merchant ./examples/merchant/cmd/merchant

FROM gcr.io/distroless/static-debian12
COPY --from=build /out/ /usr/local/bin/
COPY fixtures/compose-merchant.yaml /profiles/reference-merchant.yaml
ENTRYPOINT ["/usr/local/bin/drsim"]
