package mailbox

// WithSyncHook makes Wait and Collect call f after every search of the
// stored mail, so tests can act after a waiter has searched.
func WithSyncHook(f func()) Option {
	return func(c *Client) { c.afterSync = f }
}
