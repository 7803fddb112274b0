package harness

import (
	"context"
	"fmt"
	"time"
)

// RateLimitMerchant makes Digital River answer the merchant's next count
// API calls, whatever they are, as DR answers a key over its rate limit:
// 429 too_many_requests with a Retry-After of seconds (docs/dr-api.md, "Rate
// limits"). The harness's own calls (HarnessAgent) are not counted, so its
// checks of DR's state pass by. The fault is the account's, not the
// scenario's: a merchant call made meanwhile for a scenario running beside
// this one takes its share too, so run such scenarios alone (-concurrency 1
// or their own tag). DR limits only a merchant that calls too fast, so the
// built-in suite never uses it.
func (s *Scenario) RateLimitMerchant(ctx context.Context, count, seconds int) error {
	if count < 1 || seconds < 1 || seconds > 3600 {
		return fmt.Errorf("DR's rate limit: want at least 1 call and a Retry-After of 1 to 3600 seconds, got %d call(s) and %d second(s)", count, seconds)
	}
	if _, err := s.h.dr.RateLimitNext(ctx, count, time.Duration(seconds)*time.Second); err != nil {
		return fmt.Errorf("arrange DR's 429 for the merchant's next %d API call(s): %w", count, err)
	}
	return nil
}
