package ratelimit_test

import (
	"errors"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/goodgo/xactivity/ratelimit"
)

func TestErrorMessage(t *testing.T) {
	reset := t0.Add(15 * time.Minute)
	cases := []struct {
		name string
		err  *ratelimit.Error
		want string
	}{
		{
			name: "429 with reset",
			err:  &ratelimit.Error{StatusCode: 429, Reset: reset, Endpoint: "POST /2/dm_events"},
			want: "ratelimit: POST /2/dm_events: status 429 Too Many Requests, resets at 2025-06-01T12:15:00Z",
		},
		{
			name: "429 without reset",
			err:  &ratelimit.Error{StatusCode: 429, Endpoint: "GET /2/dm_events"},
			want: "ratelimit: GET /2/dm_events: status 429 Too Many Requests, reset time unknown",
		},
		{
			name: "local",
			err:  &ratelimit.Error{Local: true, Reset: reset, Endpoint: "GET /2/dm_events"},
			want: "ratelimit: GET /2/dm_events: limit exhausted, call not sent, resets at 2025-06-01T12:15:00Z",
		},
		{
			name: "local without endpoint",
			err:  &ratelimit.Error{Local: true, Reset: reset},
			want: "ratelimit: limit exhausted, call not sent, resets at 2025-06-01T12:15:00Z",
		},
		{
			name: "unknown status",
			err:  &ratelimit.Error{StatusCode: 599},
			want: "ratelimit: status 599, reset time unknown",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.err.Error(); got != tc.want {
				t.Errorf("Error() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestErrorAsThroughWrappers(t *testing.T) {
	want := &ratelimit.Error{StatusCode: 429, Endpoint: "POST /2/dm_events"}
	err := fmt.Errorf("send: %w", &url.Error{Op: "Post", URL: "https://api.x.com/2/dm_events", Err: want})
	var got *ratelimit.Error
	if !errors.As(err, &got) {
		t.Fatalf("errors.As(%v) = false, want true", err)
	}
	if got != want {
		t.Errorf("errors.As found %p, want %p", got, want)
	}
}
