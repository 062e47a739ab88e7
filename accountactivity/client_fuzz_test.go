package accountactivity

import (
	"testing"
)

// FuzzManagementDecoders runs every decoder of the management responses
// on the same input; none may panic.
func FuzzManagementDecoders(f *testing.F) {
	for _, seed := range []string{
		`{"data":{"id":"1","url":"https://a.example.com/w","valid":true,"created_at":"2025-05-20T10:00:00Z"}}`,
		`{"data":[{"id":1,"valid":false}],"meta":{"result_count":1}}`,
		`{"data":{"valid":true}}`, `{"data":{"attempted":true}}`, `{"data":{"deleted":true}}`,
		`{"data":{"job_id":"9","created_at":"2026-03-14T15:09:27Z"}}`,
		`{"data":{"subscribed":true}}`,
		`{"data":{"application_id":"2","subscriptions":[{"user_id":"3"}]}}`,
		`{"data":{"provisioned_count":"3","subscriptions_count_all":2}}`,
		`{"data":{"subscription":{"subscription_id":"1","filter":{"user_id":"2"}}}}`,
		`{"data":[{"deleted":true,"subscription_id":"1"}],"errors":[{"reason":"SubscriptionNotFound"}],"meta":{"total_subscriptions":4}}`,
		`{"data":[],"meta":{"next_token":"abc"}}`,
		`{"errors":[{"title":"x","detail":"CrcValidationFailed"}]}`, `null`, `[]`, `{"data":null}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if w, _, err := decodeData[webhookJSON](body); err == nil && w != nil {
			_ = w.webhook()
		}
		_, _, _ = decodeData[[]webhookJSON](body)
		if l, _, err := decodeData[subscriptionListJSON](body); err == nil && l != nil {
			_ = l.list()
		}
		_, _, _ = decodeData[countsJSON](body)
		_, _, _ = decodeData[subscribedJSON](body)
		if s, _, err := decodeData[subscriptionDataJSON](body); err == nil && s != nil && s.Subscription != nil {
			_ = s.Subscription.subscription()
		}
		if page, err := decodeActivityPage(body); err == nil {
			for _, a := range page.Data {
				_ = a.subscription()
			}
		}
		_, _ = decodeDeleteResult(body)
	})
}

// FuzzCheckWebhookURL checks that every URL CheckWebhookURL accepts has
// the properties it promises.
func FuzzCheckWebhookURL(f *testing.F) {
	for _, seed := range []string{"https://a.example.com/w", "http://a", "https://a:1/", "https://[::1]/", "https://a/#x", ""} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if CheckWebhookURL(raw) != nil {
			return
		}
		if len(raw) > MaxWebhookURLLength {
			t.Errorf("accepted %d-byte URL", len(raw))
		}
	})
}

// FuzzReasons checks that withReasons never loses the API error.
func FuzzReasons(f *testing.F) {
	f.Add(`{"title":"DuplicateUrlFailed"}`)
	f.Add(`{"errors":[{"message":"webhookidinvalid"}]}`)
	f.Fuzz(func(t *testing.T, body string) {
		err := withReasons(newTestAPIError(body))
		if err == nil || err.Error() == "" {
			t.Fatalf("withReasons returned %v", err)
		}
	})
}
