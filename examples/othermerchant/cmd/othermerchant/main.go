// Command othermerchant runs the Waldläufer Outdoor example shop alone, for
// `drsim certify -profile examples/othermerchant/profile.yaml`:
//
//	drsim serve -retry-scale 0.0001 -delivery-timeout 1s &
//	go run ./examples/othermerchant/cmd/othermerchant
//	drsim certify -profile examples/othermerchant/profile.yaml -sim-addr … (or a profile naming simulator.url)
package main

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"

	"github.com/drsim/drsim/examples/othermerchant"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8082", "listen address (the profile's merchant.url)")
	dr := flag.String("dr", "http://127.0.0.1:9090", "Digital River's API (the simulator)")
	key := flag.String("key", "sk_test_waldlaeufer00000000000000", "DR secret key (the profile's api.secretKey)")
	secret := flag.String("secret", "whsec_waldlaeufer_geheim", "webhook signing secret (the profile's webhook.signingSecret)")
	smtp := flag.String("smtp", "127.0.0.1:1025", "SMTP server")
	defects := flag.String("defects", "", "comma-separated defects: "+strings.Join(othermerchant.DefectNames(), ", "))
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	var list []string
	if *defects != "" {
		list = strings.Split(*defects, ",")
	}
	s, err := othermerchant.Start(othermerchant.Config{Addr: *addr, SigningSecret: *secret, DRBaseURL: *dr, DRSecretKey: *key, SMTPAddr: *smtp, Defects: list, Logger: log})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	log.Info("Waldläufer Outdoor is open", "url", s.URL(), "webhook", s.WebhookURL())
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt)
	<-stop
	if err := s.Close(); err != nil {
		log.Error("close", "err", err)
	}
}
