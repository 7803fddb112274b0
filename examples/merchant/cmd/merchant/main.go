// Command merchant runs drsim's reference merchant, e.g. as a
// docker-compose service. Every flag can also be set from the environment
// variable shown in -help; a flag given on the command line wins.
//
//	merchant -addr :8080 -smtp-addr mailhog:1025 -signing-secret "$SECRET"
//	merchant -list-defects
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/drsim/drsim/examples/merchant"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("merchant", flag.ContinueOnError)
	env := func(name, def string) string {
		if v, ok := os.LookupEnv(name); ok {
			return v
		}
		return def
	}
	var (
		cfg         merchant.Config
		tolerance   string
		linkTTL     string
		defects     string
		workers     string
		queueSize   string
		backoff     string
		slowAck     string
		logLevel    string
		listDefects bool
	)
	fs.StringVar(&cfg.Addr, "addr", env("MERCHANT_ADDR", ":8080"), "listen `address` ($MERCHANT_ADDR)")
	fs.StringVar(&cfg.SigningSecret, "signing-secret", env("MERCHANT_SIGNING_SECRET", ""), "webhook signing `secret` ($MERCHANT_SIGNING_SECRET); required")
	fs.StringVar(&tolerance, "signature-tolerance", env("MERCHANT_SIGNATURE_TOLERANCE", "5m"), "accepted signature timestamp skew ($MERCHANT_SIGNATURE_TOLERANCE)")
	fs.StringVar(&cfg.DRBaseURL, "dr-base-url", env("MERCHANT_DR_BASE_URL", ""), "Digital River API base `URL` ($MERCHANT_DR_BASE_URL)")
	fs.StringVar(&cfg.DRSecretKey, "dr-secret-key", env("MERCHANT_DR_SECRET_KEY", ""), "Digital River secret API `key` ($MERCHANT_DR_SECRET_KEY)")
	fs.StringVar(&cfg.SMTPAddr, "smtp-addr", env("MERCHANT_SMTP_ADDR", ""), "SMTP server `host:port` ($MERCHANT_SMTP_ADDR); required")
	fs.StringVar(&cfg.From, "from", env("MERCHANT_FROM", ""), "sender `address` of customer email ($MERCHANT_FROM)")
	fs.StringVar(&cfg.ShopName, "shop-name", env("MERCHANT_SHOP_NAME", ""), "shop `name` shown to customers ($MERCHANT_SHOP_NAME)")
	fs.StringVar(&cfg.ReturnAddress, "return-address", env("MERCHANT_RETURN_ADDRESS", ""), "`address` customers return products to, one line ($MERCHANT_RETURN_ADDRESS)")
	fs.StringVar(&linkTTL, "file-link-ttl", env("MERCHANT_FILE_LINK_TTL", "720h"), "how long invoice and credit memo links stay valid ($MERCHANT_FILE_LINK_TTL)")
	fs.StringVar(&cfg.AdminToken, "admin-token", env("MERCHANT_ADMIN_TOKEN", ""), "`token` the X-Admin-Token header must carry on /admin/ ($MERCHANT_ADMIN_TOKEN; default drsim-admin)")
	fs.StringVar(&workers, "workers", env("MERCHANT_WORKERS", "4"), "how many events are processed at once after their webhook was answered ($MERCHANT_WORKERS)")
	fs.StringVar(&queueSize, "queue-size", env("MERCHANT_QUEUE_SIZE", "1024"), "events acknowledged and waiting to be processed, at most; beyond, webhooks get 503 ($MERCHANT_QUEUE_SIZE)")
	fs.StringVar(&backoff, "retry-backoff", env("MERCHANT_RETRY_BACKOFF", "50ms,200ms,1s"), "comma-separated `delays` before each retry of an event's failed work; \"none\" for no retries ($MERCHANT_RETRY_BACKOFF)")
	fs.StringVar(&slowAck, "slow-ack-delay", env("MERCHANT_SLOW_ACK_DELAY", "3.5s"), "how long the slow-ack defect takes to answer a webhook ($MERCHANT_SLOW_ACK_DELAY)")
	fs.StringVar(&defects, "defects", env("MERCHANT_DEFECTS", ""), "comma-separated defect `names` to switch on ($MERCHANT_DEFECTS); see -list-defects")
	fs.StringVar(&logLevel, "log-level", env("MERCHANT_LOG_LEVEL", "info"), "debug, info, warn or error ($MERCHANT_LOG_LEVEL)")
	fs.BoolVar(&listDefects, "list-defects", false, "print the known defects and exit")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}

	if listDefects {
		for _, d := range merchant.KnownDefects() {
			fmt.Printf("%-28s %s\n", d.Name, d.Description)
		}
		return nil
	}

	var level slog.Level
	if err := level.UnmarshalText([]byte(logLevel)); err != nil {
		return fmt.Errorf("-log-level: %w", err)
	}
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	d, err := time.ParseDuration(tolerance)
	if err != nil {
		return fmt.Errorf("-signature-tolerance: %w", err)
	}
	cfg.SignatureTolerance = d
	if cfg.FileLinkTTL, err = time.ParseDuration(linkTTL); err != nil {
		return fmt.Errorf("-file-link-ttl: %w", err)
	}
	if cfg.Workers, err = strconv.Atoi(workers); err != nil || cfg.Workers < 1 {
		return fmt.Errorf("-workers: %q is not a positive number", workers)
	}
	if cfg.QueueSize, err = strconv.Atoi(queueSize); err != nil || cfg.QueueSize < 1 {
		return fmt.Errorf("-queue-size: %q is not a positive number", queueSize)
	}
	cfg.RetryBackoff = []time.Duration{}
	if strings.TrimSpace(backoff) != "none" {
		for text := range strings.SplitSeq(backoff, ",") {
			d, err := time.ParseDuration(strings.TrimSpace(text))
			if err != nil || d < 0 {
				return fmt.Errorf("-retry-backoff: %q is not a list of durations", backoff)
			}
			cfg.RetryBackoff = append(cfg.RetryBackoff, d)
		}
	}
	if cfg.SlowAckDelay, err = time.ParseDuration(slowAck); err != nil {
		return fmt.Errorf("-slow-ack-delay: %w", err)
	}
	for name := range strings.SplitSeq(defects, ",") {
		if name = strings.TrimSpace(name); name != "" {
			cfg.Defects = append(cfg.Defects, name)
		}
	}

	srv, err := merchant.Start(cfg)
	if err != nil {
		return err
	}
	cfg.Logger.Info("listening", "url", srv.URL(), "webhook", srv.WebhookURL())

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	cfg.Logger.Info("shutting down")
	return srv.Close()
}
