package othermerchant

import _ "embed"

// Profile is the shop's merchant profile for drsim's harness.
//
//go:embed profile.yaml
var Profile []byte
