package accountactivity_test

import (
	"context"
	"testing"

	"github.com/goodgo/xactivity/accountactivity"
	"github.com/goodgo/xactivity/internal/fixtures"
	"github.com/goodgo/xactivity/webhook"
)

// The pipeline benchmarks measure the per-delivery work of a webhook
// receiver on dm_received.json in three cumulative steps: the signature
// check alone, then decoding, then dispatching to a DM handler that reads
// the message.

func pipelineInput(b *testing.B) (body []byte, header string, verifier *webhook.Verifier) {
	b.Helper()
	d := fixtures.LoadDelivery(b, "dm_received.json")
	v, err := webhook.NewVerifier(fixtures.LoadVectors(b).DeliveriesSecret)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(d.Body)))
	return d.Body, d.Signature, v
}

func BenchmarkPipelineVerify(b *testing.B) {
	body, header, v := pipelineInput(b)
	for b.Loop() {
		if err := v.Verify(body, header); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPipelineVerifyDecode(b *testing.B) {
	body, header, v := pipelineInput(b)
	for b.Loop() {
		if err := v.Verify(body, header); err != nil {
			b.Fatal(err)
		}
		if _, err := accountactivity.Decode(body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPipelineVerifyDecodeDispatch(b *testing.B) {
	body, header, v := pipelineInput(b)
	var x accountactivity.Dispatcher
	chars := 0
	x.OnDirectMessage(func(_ context.Context, d *accountactivity.Delivery, e *accountactivity.DirectMessage) error {
		if e.Incoming(d.ForUserID) {
			chars += len(e.Text)
		}
		return nil
	})
	ctx := context.Background()
	for b.Loop() {
		if err := v.Verify(body, header); err != nil {
			b.Fatal(err)
		}
		d, err := accountactivity.Decode(body)
		if err != nil {
			b.Fatal(err)
		}
		if err := x.Dispatch(ctx, d); err != nil {
			b.Fatal(err)
		}
	}
	if chars == 0 {
		b.Fatal("the DM handler never ran")
	}
}
