// Package webhook receives X's webhook requests: Account Activity API and X
// Activity API deliveries and the CRC checks sent to the same URL.
//
// # Signatures
//
// X signs every delivery with the header
//
//	x-twitter-webhooks-signature: sha256=<base64>
//
// where <base64> is the padded standard base64 encoding of HMAC-SHA256
// keyed by the app's consumer secret over the raw request body. Verify and
// Verifier check it in constant time over the exact bytes received, and
// fail closed: a missing header, a malformed one and a mismatch each have
// their own sentinel error, and no configured secret is an error too. Sign
// computes the value for tests.
//
// No timestamp or nonce is signed, so a captured delivery can be sent
// again: deduplicate events by their ids (see the accountactivity package's
// event keys).
//
// # Handler
//
// Handler serves the webhook URL. It answers CRC checks, and for each POST
// it reads the body within a size limit, verifies it, and passes it to a
// Receiver. The receiver's result decides the status X sees: return nil only
// once the delivery is durably stored, so that X retries, or a replay
// recovers, every delivery that was not.
//
//	h := &webhook.Handler{
//		ConsumerSecrets: []string{os.Getenv("TWITTER__API_KEY_SECRET")},
//		Receiver: webhook.ReceiverFunc(func(ctx context.Context, d *webhook.Delivery) error {
//			return inbox.Store(ctx, d.Body) // commit before acknowledging
//		}),
//	}
//	http.Handle("/webhooks/twitter", h)
package webhook
