package accountactivity

import (
	"encoding/json"
	"strconv"
	"time"
)

// The typed readers below decode one value at the cursor into *dst. A JSON
// null leaves *dst unchanged. A value of another type is skipped and
// recorded as the event's type error.

// str decodes a string.
func (r *reader) str(dst *string) {
	switch r.peek() {
	case '"':
		*dst = r.stringValue()
	case 'n':
		r.literal("null")
	default:
		r.mismatch("a string")
	}
}

// token decodes a string that usually is one of a few fixed words, such as
// an event type, without allocating for those words.
func (r *reader) token(dst *string) {
	if r.peek() != '"' {
		r.str(dst)
		return
	}
	*dst = intern(r.stringBytes())
}

func intern(s []byte) string {
	switch string(s) {
	case "message_create":
		return "message_create"
	case "media":
		return "media"
	case "photo":
		return "photo"
	case "follow":
		return "follow"
	case "unfollow":
		return "unfollow"
	case "block":
		return "block"
	case "unblock":
		return "unblock"
	case "mute":
		return "mute"
	case "unmute":
		return "unmute"
	}
	return string(s)
}

// id decodes an identifier given as a string or as an integer number. A
// number is kept as its literal digits, so ids beyond 2^53 stay exact.
func (r *reader) id(dst *string) {
	switch c := r.peek(); {
	case c == '-' || '0' <= c && c <= '9':
		start, isInt := r.number()
		if r.err != nil {
			return
		}
		if !isInt {
			r.typeError("expected an integer id, got a fractional number")
			return
		}
		*dst = string(r.buf[start:r.pos])
	default:
		r.str(dst)
	}
}

// count decodes an integer given as a number or as a string of digits.
func (r *reader) count(dst *int64) {
	if n, ok := r.intValue(); ok {
		*dst = n
	}
}

// intValue decodes an integer given as a number or as a string of digits.
// It reports false for a null and for a value that is not an integer.
func (r *reader) intValue() (int64, bool) {
	var digits []byte
	switch c := r.peek(); {
	case c == '"':
		digits = r.stringBytes()
	case c == '-' || '0' <= c && c <= '9':
		start, _ := r.number()
		digits = r.buf[start:r.pos]
	case c == 'n':
		r.literal("null")
		return 0, false
	default:
		r.mismatch("an integer")
		return 0, false
	}
	if r.err != nil {
		return 0, false
	}
	n, ok := parseInt(digits)
	if !ok {
		r.typeError("invalid integer " + quote(digits))
	}
	return n, ok
}

// integer decodes an integer number. Unlike count, it does not accept a
// string.
func (r *reader) integer(dst *int) {
	switch c := r.peek(); {
	case c == '-' || '0' <= c && c <= '9':
		start, _ := r.number()
		if r.err != nil {
			return
		}
		n, ok := parseInt(r.buf[start:r.pos])
		if !ok || int64(int(n)) != n {
			r.typeError("invalid integer " + quote(r.buf[start:r.pos]))
			return
		}
		*dst = int(n)
	case c == 'n':
		r.literal("null")
	default:
		r.mismatch("an integer")
	}
}

// parseInt parses an optionally negative string of decimal digits, leading
// zeros allowed, whose value fits in an int64.
func parseInt(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 {
		return 0, false
	}
	const limit = 1 << 63 // the magnitude of math.MinInt64
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' || n > limit/10 {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
		if n > limit {
			return 0, false
		}
	}
	if !neg && n == limit {
		return 0, false
	}
	if neg {
		return int64(-n), true
	}
	return int64(n), true
}

// boolean decodes true or false, or the strings "true" and "false".
func (r *reader) boolean(dst *bool) {
	switch r.peek() {
	case 't':
		r.literal("true")
		*dst = true
	case 'f':
		r.literal("false")
		*dst = false
	case '"':
		switch s := r.stringBytes(); string(s) {
		case "true":
			*dst = true
		case "false":
			*dst = false
		default:
			r.typeError("invalid boolean " + quote(s))
		}
	case 'n':
		r.literal("null")
	default:
		r.mismatch("a boolean")
	}
}

// millis decodes a time given as Unix epoch milliseconds, as a number or a
// string of digits. The result is in UTC.
func (r *reader) millis(dst *time.Time) {
	if n, ok := r.intValue(); ok {
		*dst = time.UnixMilli(n).UTC()
	}
}

// twitterTimeLayout is the time format of v1.1 objects, RubyDate:
// "Mon Jan 02 15:04:05 -0700 2006". v2 objects and revocations use RFC 3339.
const twitterTimeLayout = time.RubyDate

// datetime decodes a time string in the v1.1 format or in RFC 3339. The
// result is in UTC.
func (r *reader) datetime(dst *time.Time) {
	switch r.peek() {
	case '"':
	case 'n':
		r.literal("null")
		return
	default:
		r.mismatch("a time string")
		return
	}
	s := r.stringValue()
	layout := twitterTimeLayout
	if s != "" && '0' <= s[0] && s[0] <= '9' {
		layout = time.RFC3339
	}
	t, err := time.Parse(layout, s)
	if err != nil {
		r.typeError("invalid time " + quote([]byte(s)))
		return
	}
	*dst = t.UTC()
}

// raw keeps any value as it appears in the input, including a null.
func (r *reader) raw(dst *json.RawMessage) {
	if v := r.rawValue(); r.err == nil {
		*dst = v
	}
}

// quote formats a value for an error message, cut to a readable length.
func quote(b []byte) string {
	const maxShown = 40
	if len(b) > maxShown {
		return strconv.Quote(string(b[:maxShown])) + "..."
	}
	return strconv.Quote(string(b))
}
