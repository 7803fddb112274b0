package state

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"

	"github.com/drsim/drsim/simulator/internal/wire"
)

// A recorded event never changes, so it is written as JSON once, when it is
// recorded, straight into the account's event log (eventlog.go), and every
// webhook delivery and GET of it sends those bytes.
// appendEvent writes them without reflection: the bytes encoding/json's
// Marshal writes for the event (field order, HTML escaping and all), which
// TestRecordedEventBytes and FuzzRecordedEventBytes check. It relies on
// what record puts in data: wire.Marshal's output, which is compact,
// valid, and escaped as encoding/json escapes (HTML characters, U+2028 and
// U+2029), so it is copied as it is. Events built any other way (tests)
// have no kept bytes and are marshalled each time, as before.

// JSON is the event as webhooks carry it (encoding/json's Marshal of the
// event). A recorded event returns the bytes kept since it was recorded:
// callers must not modify them.
func (e *Event) JSON() ([]byte, error) {
	if e.body != nil {
		return e.body, nil
	}
	return json.Marshal(e)
}

// appendEvent appends e as encoding/json writes it. e.Data's raw messages
// must be wire.Marshal's output.
func appendEvent(dst []byte, e *Event) []byte {
	dst, _ = appendEventSpans(dst, e)
	return dst
}

// appendEventSpans is appendEvent, saying where it wrote the webhook ids
// and data's messages (the event log keeps their offsets, eventlog.go).
func appendEventSpans(dst []byte, e *Event) ([]byte, eventSpans) {
	var sp eventSpans
	start := len(dst)
	dst = append(dst, `{"id":`...)
	dst = appendString(dst, e.ID)
	dst = append(dst, `,"type":`...)
	dst = appendString(dst, e.Type)
	dst = append(dst, `,"liveMode":`...)
	dst = strconv.AppendBool(dst, e.LiveMode)
	dst = append(dst, `,"digitalriverVersion":`...)
	dst = appendString(dst, e.DigitalriverVersion)
	dst = append(dst, `,"webhookIds":`...)
	sp.hooks = len(dst) - start
	if e.WebhookIDs == nil {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, '[')
		for i, id := range e.WebhookIDs {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, id)
		}
		dst = append(dst, ']')
	}
	dst = append(dst, dataMarker...)
	sp.obj = len(dst) - start
	if len(e.Data.Object) == 0 {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, e.Data.Object...)
	}
	sp.objLen = len(dst) - start - sp.obj
	if len(e.Data.PreviousAttributes) > 0 {
		dst = append(dst, prevMarker...)
		sp.prev = len(dst) - start
		dst = append(dst, e.Data.PreviousAttributes...)
		sp.prevLen = len(e.Data.PreviousAttributes)
	}
	dst = append(dst, `},"createdTime":"`...)
	dst = wire.AppendEventTime(dst, e.CreatedTime) // digits and -:.TZ: nothing to escape
	return append(dst, `"}`...), sp
}

// appendString appends s as a JSON string the way encoding/json writes it:
// plain printable ASCII as it is, anything else (quotes, backslashes,
// control and HTML characters, non-ASCII, invalid UTF-8) through the
// writer Event.MarshalJSON uses, whose output encoding/json keeps as it is.
func appendString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			b, _ := wire.Marshal(s) // a string always marshals
			return append(dst, b...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}
