package state

// Qty is a quantity of n units, for tests that build params in Go.
func Qty(n int) Quantity { return Quantity{n: n, set: true} }
