package dm

import (
	"context"
	"net/http"
	"testing"
)

// BenchmarkSendOverhead measures the client's own cost of one v2 send:
// validation, JSON encoding, request building, OAuth 1.0a signing with
// dghubble/oauth1 and response decoding. The transport returns
// responses from memory, so no network time is included.
func BenchmarkSendOverhead(b *testing.B) {
	rt := &capture{status: http.StatusCreated, body: sendResponse}
	c, err := NewClient(newOAuth1Client(rt))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	m := Message{Text: "Your order #1042 has shipped and will arrive on Thursday."}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.SendToParticipant(ctx, "944480690", m); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSendV11Overhead is BenchmarkSendOverhead for a v1.1 send with
// quick replies and a button.
func BenchmarkSendV11Overhead(b *testing.B) {
	rt := &capture{status: http.StatusOK, body: v11EventResponse}
	c, err := NewClient(newOAuth1Client(rt))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.SendV11(ctx, "944480690", v11Message); err != nil {
			b.Fatal(err)
		}
	}
}
