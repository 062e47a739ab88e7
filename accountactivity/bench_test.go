package accountactivity

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/goodgo/xactivity/internal/fixtures"
)

func BenchmarkDecode(b *testing.B) {
	body := fixtures.LoadDelivery(b, "dm_received.json").Body
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := Decode(body); err != nil {
			b.Fatal(err)
		}
	}
}

// benchDispatcher has a DM handler that reads the message, as a real one
// would, without doing further work.
func benchDispatcher() (*Dispatcher, *int) {
	var x Dispatcher
	n := new(int)
	x.OnDirectMessage(func(_ context.Context, d *Delivery, e *DirectMessage) error {
		if e.Incoming(d.ForUserID) {
			*n += len(e.Text)
		}
		return nil
	})
	return &x, n
}

func BenchmarkDecodeDispatch(b *testing.B) {
	body := fixtures.LoadDelivery(b, "dm_received.json").Body
	x, _ := benchDispatcher()
	ctx := context.Background()
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		d, err := Decode(body)
		if err != nil {
			b.Fatal(err)
		}
		if err := x.Dispatch(ctx, d); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeStdlib decodes the same body with encoding/json into typed
// structs, for comparison.
func BenchmarkDecodeStdlib(b *testing.B) {
	body := fixtures.LoadDelivery(b, "dm_received.json").Body
	type user struct {
		ID             refID  `json:"id"`
		Name           string `json:"name"`
		ScreenName     string `json:"screen_name"`
		Protected      bool   `json:"protected"`
		FollowersCount int64  `json:"followers_count"`
	}
	var v struct {
		ForUserID           string          `json:"for_user_id"`
		DirectMessageEvents []refDM         `json:"direct_message_events"`
		Users               map[string]user `json:"users"`
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		v.DirectMessageEvents, v.Users = nil, nil
		if err := json.Unmarshal(body, &v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeAll(b *testing.B) {
	for _, f := range fixtures.LoadDeliveries(b) {
		b.Run(strings.TrimSuffix(f.Name, ".json"), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(f.Body)))
			for b.Loop() {
				if _, err := Decode(f.Body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
