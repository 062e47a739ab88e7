package accountactivity

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/goodgo/xactivity"
	"github.com/goodgo/xactivity/internal/wire"
)

// errNoData is returned by decodeData for a body without a data member and
// without problems.
var errNoData = errors.New("response has no data")

// decodeData decodes the v2 response {"data": T, "errors": [...]}. It
// returns nil data when the member is absent or null, and the problems of
// the errors array.
func decodeData[T any](body []byte) (*T, []xactivity.Problem, error) {
	var v struct {
		Data   *T              `json:"data"`
		Errors json.RawMessage `json:"errors"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return nil, nil, err
	}
	return v.Data, wire.Problems(v.Errors), nil
}

// call sends call and decodes the data member of its response into a T.
// A response with problems and no data returns an *xactivity.APIError.
func call[T any](ctx context.Context, c *Client, a auth, op string, wc wire.Call) (*T, error) {
	resp, err := c.do(ctx, a, op, wc)
	if err != nil {
		return nil, err
	}
	data, problems, err := decodeData[T](resp.Body)
	if err != nil {
		return nil, fmt.Errorf("accountactivity: %s: response is not the expected JSON: %w", op, err)
	}
	if data == nil {
		if len(problems) > 0 {
			return nil, partial(op, wc, resp, problems)
		}
		return nil, fmt.Errorf("accountactivity: %s: %w", op, errNoData)
	}
	return data, nil
}

// parseTime parses a time as X writes it in management responses: RFC 3339,
// or "2006-01-02 15:04:05 -0700" as the v1.1 API does. It returns the zero
// Time for an empty or unknown form.
func parseTime(s string) time.Time {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05 -0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}
