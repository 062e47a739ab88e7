package xtest

import (
	"net/http"
	"strings"
	"testing"
)

func TestFailNextDM(t *testing.T) {
	tests := []struct {
		name, path, body, failBody string
		status                     int
		wantContentType            string
	}{
		{"v2 server error", "/2/dm_conversations/with/{bob}/messages", `{"text":"hi"}`,
			`{"title":"Service Unavailable","type":"about:blank","status":503,"detail":"Service Unavailable"}`,
			503, "application/problem+json"},
		{"v2 internal error", "/2/dm_conversations", `{"conversation_type":"Group","participant_ids":["{bob}","{carol}"],"message":{"text":"hi"}}`,
			`{"title":"Internal Error","detail":"Try again later.","type":"https://api.x.com/2/problems/internal-error","status":500}`,
			500, "application/problem+json"},
		{"v1.1 internal error", "/1.1/direct_messages/events/new.json", "", `{"errors":[{"code":131,"message":"Internal error"}]}`,
			500, "application/json; charset=utf-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newDMFixture(t)
			replacer := strings.NewReplacer("{bob}", f.bob.ID, "{carol}", f.carol.ID)
			path, body := replacer.Replace(tt.path), replacer.Replace(tt.body)
			if body == "" {
				body = v11Body(f.bob.ID, "hi")
			}
			f.srv.FailNextDM(tt.status, tt.failBody)
			resp := f.call(f.alice, "POST", path, body)
			if resp.status != tt.status || resp.body != tt.failBody {
				t.Errorf("answer = %d %s, want %d %s", resp.status, resp.body, tt.status, tt.failBody)
			}
			if got := resp.header.Get("Content-Type"); got != tt.wantContentType {
				t.Errorf("Content-Type = %q, want %q", got, tt.wantContentType)
			}
			if got := resp.header.Get("x-rate-limit-remaining"); got != "999" {
				t.Errorf("x-rate-limit-remaining = %q, want 999: a failed send still counts", got)
			}
			if n := len(f.srv.SentDMs()); n != 0 {
				t.Errorf("recorded %d DMs after the failure, want 0", n)
			}
			if resp := f.call(f.alice, "POST", path, body); resp.status >= 300 {
				t.Errorf("next send: %d %s, want success", resp.status, resp.body)
			}
			if n := len(f.srv.SentDMs()); n != 1 {
				t.Errorf("recorded %d DMs after the next send, want 1", n)
			}
		})
	}
}

func TestFailNextDMQueues(t *testing.T) {
	f := newDMFixture(t)
	f.srv.FailNextDM(503, "first")
	f.srv.FailNextDM(500, "second")
	invalid := f.call(f.alice, "POST", "/2/dm_conversations/with/"+f.bob.ID+"/messages", `{}`)
	if invalid.status != http.StatusBadRequest {
		t.Errorf("invalid send: status %d, want 400 before any injected failure", invalid.status)
	}
	for _, want := range []struct {
		status int
		body   string
	}{{503, "first"}, {500, "second"}} {
		resp := f.sendAttempt(V11, f.alice, f.bob)
		if resp.status != want.status || resp.body != want.body {
			t.Errorf("answer = %d %s, want %d %s", resp.status, resp.body, want.status, want.body)
		}
	}
	f.sendV2(f.alice, f.bob, "third time lucky")
}

func TestFailNextDMRejectsStatus(t *testing.T) {
	for _, status := range []int{0, 99, 1000} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("FailNextDM(%d) did not panic", status)
				}
			}()
			New().FailNextDM(status, "")
		}()
	}
}

func TestDropResponseAfterSend(t *testing.T) {
	for _, api := range []API{V2, V11} {
		t.Run(string(api), func(t *testing.T) {
			f := newDMFixture(t)
			f.srv.DropResponseAfterSend()
			path, body := "/2/dm_conversations/with/"+f.bob.ID+"/messages", `{"text":"did it arrive?"}`
			if api == V11 {
				path, body = "/1.1/direct_messages/events/new.json", v11Body(f.bob.ID, "did it arrive?")
			}
			req, err := http.NewRequest("POST", f.srv.URL()+path, strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			resp, err := f.client(f.alice).Do(req)
			if err == nil {
				resp.Body.Close()
				t.Fatalf("send answered %d, want a connection error", resp.StatusCode)
			}
			sent := f.srv.SentDMs()
			if len(sent) != 1 || !sent[0].ResponseDropped || sent[0].Text != "did it arrive?" {
				t.Fatalf("SentDMs = %+v, want one dropped DM", sent)
			}
			got := f.listV2(f.alice, "/2/dm_events")
			if len(got.Data) != 1 || got.Data[0].ID != sent[0].EventID {
				t.Errorf("listing = %+v, want the dropped DM %s", got.Data, sent[0].EventID)
			}
			f.sendV2(f.alice, f.bob, "answered again")
			if sent := f.srv.SentDMs(); len(sent) != 2 || sent[1].ResponseDropped {
				t.Errorf("SentDMs = %+v, want a second DM with its response", sent)
			}
		})
	}
}
