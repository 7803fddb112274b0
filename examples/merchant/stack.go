package merchant

import (
	"time"

	"github.com/drsim/drsim/internal/stack"
)

// Starter starts the reference merchant, with the named defects switched
// on, in drsim's in-process stack: the features tests and drsim's commands
// pass it as stack.Options.Merchant.
func Starter(defects ...string) stack.MerchantStarter {
	return StarterWith(func(c *Config) { c.Defects = defects })
}

// StarterWith is Starter with the configuration edit makes (defects,
// RefundOn …) on top of the stack's.
func StarterWith(edit func(*Config)) stack.MerchantStarter {
	return func(env stack.MerchantEnv) (stack.RunningMerchant, error) {
		cfg := Config{
			SigningSecret: env.Profile.Webhook.SigningSecret,
			DRBaseURL:     env.SimulatorURL,
			DRSecretKey:   env.Profile.API.SecretKey,
			SMTPAddr:      env.SMTPAddr,
			// slow-ack answers just after the stack's delivery timeout.
			SlowAckDelay: stack.DeliveryTimeout + 500*time.Millisecond,
			Logger:       env.Logger,
		}
		edit(&cfg)
		return Start(cfg)
	}
}
