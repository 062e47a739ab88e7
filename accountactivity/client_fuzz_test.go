package accountactivity

import (
	"errors"
	"testing"

	"github.com/goodgo/xactivity"
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
		`[{"id":"1","url":"https://a.example.com/w","valid":true,"created_timestamp":"2016-06-02 23:54:02 +0000"}]`,
		`{"environments":[{"environment_name":"prod","webhooks":[{"id":"1","valid":false}]}]}`,
		`{"environment":"prod","application_id":"2","subscriptions":[{"user_id":"3"}]}`,
		`{"account_name":"a","subscriptions_count_all":"1","subscriptions_count_direct_messages":"0"}`,
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
		if list, err := decodeV11Webhooks(body, "prod"); err == nil {
			for _, w := range list {
				_ = w.webhook()
			}
		}
		if l, err := decodeV11[subscriptionListJSON]("list", body); err == nil {
			_ = l.list()
		}
		if n, err := decodeV11[countsJSON]("count", body); err == nil {
			_ = n.counts()
		}
	})
}

// FuzzDecodeReplayJob checks that a replay response without an error
// returns a job id, a replay event or problems.
func FuzzDecodeReplayJob(f *testing.F) {
	for _, seed := range []string{
		`{"job_id":"1","created_at":"2016-06-02T23:54:02Z"}`, `{"id":2}`,
		`{"data":{"job_id":"3","created_at":"2026-03-14T15:09:27Z"}}`,
		`{"for_user_id":"4","replay_event":{"job_id":"5"}}`, `{"for_user_id":"4","replay_event":"x"}`,
		`{"errors":[{"title":"Conflict","detail":"ReplayConflictError"}]}`, `{}`, `null`, `[]`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		job, problems, err := decodeReplayJob(body)
		if err != nil {
			return
		}
		if job.JobID == "" && job.Event == nil && len(problems) == 0 {
			t.Errorf("decodeReplayJob(%q) returned nothing and no error", body)
		}
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
	f.Add(`{"errors":[{"code":214,"message":"Too many resources already created."}]}`)
	f.Add(`{"errors":[{"code":"355","message":"A replay job is already in progress for this webhook."},{"code":34}]}`)
	ops := []string{opCreateWebhook, opSubscribe, opReplay, "delete activity subscriptions"}
	f.Fuzz(func(t *testing.T, body string) {
		for _, op := range ops {
			err := withReasons(newTestAPIError(body), op)
			if err == nil || err.Error() == "" {
				t.Fatalf("withReasons for %s returned %v", op, err)
			}
			var api *xactivity.APIError
			if !errors.As(err, &api) {
				t.Errorf("errors.As found no *xactivity.APIError in %v", err)
			}
		}
	})
}
