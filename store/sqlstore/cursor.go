package sqlstore

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/goodgo/xactivity/store"
)

// cursor is the list position after which the next page starts: the time
// of the last item, in Unix milliseconds, its row id, and for messages its
// X event id, which is empty for a DM not sent yet. Message cursors made
// before DMs could be queued have id 0 and a non-empty event id.
type cursor struct {
	millis int64
	id     int64
	key    string
}

// encodeCursor returns the opaque text of a cursor: base64url of
// "millis:id:key".
func encodeCursor(millis, id int64, key string) string {
	text := strconv.FormatInt(millis, 10) + ":" + strconv.FormatInt(id, 10) + ":" + key
	return base64.RawURLEncoding.EncodeToString([]byte(text))
}

var errCursorFormat = errors.New("not millis:id:key")

func decodeCursor(s string) (cursor, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return cursor{}, err
	}
	millisText, rest, ok1 := strings.Cut(string(raw), ":")
	idText, key, ok2 := strings.Cut(rest, ":")
	if !ok1 || !ok2 {
		return cursor{}, errCursorFormat
	}
	var c cursor
	if c.millis, err = strconv.ParseInt(millisText, 10, 64); err != nil {
		return cursor{}, err
	}
	if c.id, err = strconv.ParseInt(idText, 10, 64); err != nil || c.id < 0 {
		return cursor{}, errCursorFormat
	}
	c.key = key
	return c, nil
}

func invalidCursor(s string) error {
	return fmt.Errorf("sqlstore: invalid cursor %.40q: %w", s, store.ErrInvalid)
}
