// Package features holds the certification scenarios as Gherkin, one file
// per area, embedded so the drsim binary carries them.
package features

import "embed"

// Files are the .feature files.
//
//go:embed *.feature
var Files embed.FS
