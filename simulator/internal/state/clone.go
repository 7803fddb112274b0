package state

import (
	"encoding/json"
	"fmt"
)

// clone deep-copies a resource through its JSON form, which is exactly what
// a client can see of it.
func clone[T any](v T) T {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("state: cannot marshal %T: %v", v, err)) // resources are plain data
	}
	var out T
	if err := json.Unmarshal(b, &out); err != nil {
		panic(fmt.Sprintf("state: cannot unmarshal %T: %v", v, err))
	}
	return out
}

func cloneAll[T any](vs []T) []T {
	out := make([]T, len(vs))
	for i, v := range vs {
		out[i] = clone(v)
	}
	return out
}
