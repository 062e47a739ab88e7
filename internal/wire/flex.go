package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"time"
)

var errNotScalar = errors.New("wire: value is neither a string nor a number")

// FlexString is a JSON value that X sends as a string in some responses
// and as a number in others, such as ids and cursors of the v1.1 API. It
// decodes a string as is, a number as its literal text (so ids above 2^53
// keep every digit), and null as "". Other JSON types are an error.
type FlexString string

// UnmarshalJSON implements json.Unmarshaler.
func (s *FlexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*s = ""
	case len(b) > 0 && b[0] == '"':
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = FlexString(v)
	case isNumberLiteral(b):
		*s = FlexString(b)
	default:
		return errNotScalar
	}
	return nil
}

func isNumberLiteral(b []byte) bool {
	return len(b) > 0 && (b[0] == '-' || (b[0] >= '0' && b[0] <= '9')) && json.Valid(b)
}

// FlexInt is an integer that X sends as a JSON number or as a string of
// decimal digits, such as error codes, statuses and counts. null decodes
// as 0; a fraction, an exponent, a value outside int64 or any other JSON
// type is an error.
type FlexInt int64

// UnmarshalJSON implements json.Unmarshaler.
func (n *FlexInt) UnmarshalJSON(b []byte) error {
	var s FlexString
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	if s == "" {
		*n = 0
		return nil
	}
	v, err := strconv.ParseInt(string(s), 10, 64)
	if err != nil {
		return err
	}
	*n = FlexInt(v)
	return nil
}

// ParseMillis parses a count of milliseconds since the Unix epoch, as in
// the created_timestamp fields of the v1.1 API, into a UTC time. It
// reports false for anything but 1 to 16 ASCII digits, which keeps the
// result far inside the range of time.Time.
func ParseMillis(s string) (time.Time, bool) {
	if len(s) == 0 || len(s) > 16 {
		return time.Time{}, false
	}
	var ms int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return time.Time{}, false
		}
		ms = ms*10 + int64(c-'0')
	}
	return time.UnixMilli(ms).UTC(), true
}
