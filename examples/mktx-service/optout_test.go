package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/goodgo/xactivity"
	"github.com/goodgo/xactivity/dm"
	"github.com/goodgo/xactivity/store"
	"github.com/goodgo/xactivity/xtest"
)

func TestKeywordSettings(t *testing.T) {
	tests := []struct {
		name          string
		optOut, optIn string
		wantOut       []string
		wantIn        []string
		wantInvalid   string // part of the error, empty when valid
	}{
		{"defaults", "", "", []string{"STOP", "UNSUBSCRIBE"}, []string{"START"}, ""},
		{"custom lists", " Stop , BAJA,cancel", "alta", []string{"Stop", "BAJA", "cancel"}, []string{"alta"}, ""},
		{"empty keyword", "STOP,,END", "", nil, nil, "MKTX__OPT_OUT_KEYWORDS"},
		{"only commas", "STOP", " , ", nil, nil, "MKTX__OPT_IN_KEYWORDS"},
		{"long keyword", strings.Repeat("s", maxKeywordRunes+1), "", nil, nil, "MKTX__OPT_OUT_KEYWORDS"},
		{"keyword in both lists", "STOP", "start,stop", nil, nil, `"stop" is also an opt-out keyword`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := validConfig()
			cfg.Mktx.OptOutKeywords = setting(tt.optOut)
			cfg.Mktx.OptInKeywords = setting(tt.optIn)
			s, err := cfg.Settings()
			if tt.wantInvalid != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantInvalid) {
					t.Errorf("Settings error = %v, want one naming %s", err, tt.wantInvalid)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(s.OptOutKeywords, tt.wantOut) || !slices.Equal(s.OptInKeywords, tt.wantIn) {
				t.Errorf("keywords = %q and %q, want %q and %q", s.OptOutKeywords, s.OptInKeywords, tt.wantOut, tt.wantIn)
			}
		})
	}
}

// validConfig returns a configuration with every required setting.
func validConfig() Config {
	var c Config
	c.Twitter.APIKey = "key"
	c.Twitter.APIKeySecret = "secret"
	c.Mktx.JWTSecret = testJWTSecret
	c.Mktx.EncryptionKey = testEncryptionKey
	return c
}

func TestKeywordIn(t *testing.T) {
	keywords := []string{"STOP", "Désabonner"}
	for text, want := range map[string]bool{
		"STOP": true, "stop": true, "  Stop\n": true, "\tsToP ": true, "DÉSABONNER": true,
		"STOP!": false, "please stop": false, "S TOP": false, "": false, "STOPP": false,
	} {
		if got := keywordIn(text, keywords); got != want {
			t.Errorf("keywordIn(%q) = %v, want %v", text, got, want)
		}
	}
}

func TestRecipientRejected(t *testing.T) {
	problem := func(kind string) xactivity.Problem {
		return xactivity.Problem{Type: "https://api.x.com/2/problems/" + kind}
	}
	v1 := func(code int, message string) *xactivity.APIError {
		return &xactivity.APIError{StatusCode: 403, Codes: []xactivity.ErrorCode{{Code: code, Message: message}}}
	}
	v2 := func(detail string) *xactivity.APIError {
		return &xactivity.APIError{StatusCode: 403, Problems: []xactivity.Problem{{Type: "about:blank", Title: "Forbidden", Detail: detail}}}
	}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"v1.1 code 349", v1(349, "You cannot send messages to this user."), true},
		{"v1.1 code 150", v1(150, "You cannot send messages to users who are not following you."), false},
		{"v1.1 code 476", v1(476, "Sender is not verified to send message requests."), false},
		{"v1.1 codes 476 and 349", &xactivity.APIError{StatusCode: 403, Codes: []xactivity.ErrorCode{{Code: 476}, {Code: 349}}}, false},
		{"v1.1 other 403", v1(93, "This application is not allowed to access or delete your direct messages."), false},
		{"v2 403 closed to the account", v2("You are not permitted to send Direct Messages to this user."), true},
		{"v2 403 closed, other case", v2("you are not permitted to send direct messages TO THIS USER"), true},
		{"v2 403 not following", v2("You cannot send messages to users who are not following you."), false},
		{"v2 403 message requests", v2("You are not permitted to send message requests to this user."), false},
		{"v2 403 without detail", v2(""), false},
		{"v2 403 other detail", v2("Forbidden"), false},
		{"v2 missing access", &xactivity.APIError{StatusCode: 403, Problems: []xactivity.Problem{problem("client-forbidden")}}, false},
		{"v2 wrong token kind", &xactivity.APIError{StatusCode: 403, Problems: []xactivity.Problem{problem("unsupported-authentication")}}, false},
		{"v2 typed problem naming the user", &xactivity.APIError{StatusCode: 403, Problems: []xactivity.Problem{
			{Type: "https://api.x.com/2/problems/client-forbidden", Detail: "You are not permitted to send Direct Messages to this user."},
		}}, false},
		{"v2 400", &xactivity.APIError{StatusCode: 400, Problems: []xactivity.Problem{problem("invalid-request")}}, false},
		{"wrapped", fmt.Errorf("send: %w", v2("You are not permitted to send Direct Messages to this user.")), true},
		{"not an API error", errors.New("connection refused"), false},
	}
	for _, tt := range tests {
		if got := recipientRejected(tt.err); got != tt.want {
			t.Errorf("%s: recipientRejected = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestDistinctRecipients(t *testing.T) {
	got, err := distinctRecipients([]string{"3", "1", "3", "2", "1"})
	if err != nil || !slices.Equal(got, []string{"3", "1", "2"}) {
		t.Errorf("distinctRecipients = %q, %v; want 3, 1, 2", got, err)
	}
	if _, err := distinctRecipients([]string{"1", "x1"}); err == nil || !strings.Contains(err.Error(), "recipients[1]") {
		t.Errorf("error = %v, want one naming recipients[1]", err)
	}
	if _, err := distinctRecipients(nil); err == nil {
		t.Error("no recipients accepted")
	}
}

// FuzzParseKeywords checks that every keyword list accepted has trimmed,
// non-empty keywords of valid UTF-8 within the length limit, one per
// comma-separated part.
func FuzzParseKeywords(f *testing.F) {
	for _, seed := range []string{"STOP,UNSUBSCRIBE", " stop ", ",", "", "a,,b", "\xff", strings.Repeat("é", 33)} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		list, err := parseKeywords(raw)
		if err != nil {
			return
		}
		if len(list) != strings.Count(raw, ",")+1 {
			t.Fatalf("parseKeywords(%q) = %q, want one keyword per part", raw, list)
		}
		for _, k := range list {
			if k == "" || k != strings.TrimSpace(k) || !utf8.ValidString(k) || utf8.RuneCountInString(k) > maxKeywordRunes {
				t.Fatalf("parseKeywords(%q) accepted keyword %q", raw, k)
			}
			if !keywordIn(" "+k+"\t", list) {
				t.Fatalf("keyword %q does not match itself between spaces", k)
			}
		}
	})
}

// FuzzCampaignRequest decodes request bodies as POST /campaigns does and
// checks every campaign that validation accepts.
func FuzzCampaignRequest(f *testing.F) {
	for _, seed := range []string{
		`{"accountId":"1","name":"sale","message":{"content":"hi"},"recipients":["5","5","6"]}`,
		`{"accountId":"1","name":"sale","message":{"content":"hi","quickReplies":[{"label":"Yes"}]},"recipients":["1"]}`,
		`{"accountId":"1","name":" ","message":{"content":"hi"},"recipients":["01"]}`,
		`{"recipients":[1]}`, `[]`, `{"message":{"content":"\u0000"}}`,
	} {
		f.Add([]byte(seed))
	}
	const hint = "Reply STOP to unsubscribe."
	f.Fuzz(func(t *testing.T, body []byte) {
		var req campaignRequest
		r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		if _, err := decodeJSON(httptest.NewRecorder(), r, &req); err != nil {
			return
		}
		nc, err := req.validate(hint)
		if err != nil {
			return
		}
		if !strings.HasSuffix(nc.content, hintSeparator+hint) || utf8.RuneCountInString(nc.content) > dm.MaxTextLength {
			t.Fatalf("accepted content %q", nc.content)
		}
		if nc.name == "" || len(nc.recipients) == 0 || len(nc.recipients) > maxCampaignRecipients {
			t.Fatalf("accepted campaign %+v", nc)
		}
		seen := map[string]bool{}
		for _, id := range nc.recipients {
			if seen[id] || !isUserID(id) {
				t.Fatalf("accepted recipients %q", nc.recipients)
			}
			seen[id] = true
		}
	})
}

// TestCampaignSenderRestrictionMarksNobody checks that X's refusals that
// concern the sending account, code 476 on v1.1 and its 403 on v2, mark
// no recipient undeliverable: once X lifts the restriction, the next
// campaign reaches every recipient.
func TestCampaignSenderRestrictionMarksNobody(t *testing.T) {
	for _, version := range []string{"2", "1.1-enterprise"} {
		t.Run(version, func(t *testing.T) {
			h, acct, ids := campaignHarness(t, 3)
			h.srv.settings.APIVersion = version
			h.srv.sender = newSender(h.srv)
			if err := h.fake.SetMessageRequestsBlocked(shopID, true); err != nil {
				t.Fatal(err)
			}
			first := h.createCampaign(acct, ids)
			h.runCampaign(first.ID, nil)
			if v := h.campaign(first.ID); *v.Totals != (campaignTotals{Failed: 3}) {
				t.Errorf("first campaign totals %+v, want 3 failed", *v.Totals)
			}
			for _, id := range ids {
				sup, err := h.srv.store.Suppression(context.Background(), acct, id)
				if !errors.Is(err, store.ErrNotFound) {
					t.Errorf("suppression of %s = %+v, %v; want none recorded", id, sup, err)
				}
			}

			if err := h.fake.SetMessageRequestsBlocked(shopID, false); err != nil {
				t.Fatal(err)
			}
			second := h.createCampaign(acct, ids)
			h.runCampaign(second.ID, nil)
			if v := h.campaign(second.ID); *v.Totals != (campaignTotals{Sent: 3}) {
				t.Errorf("second campaign totals %+v, want 3 sent", *v.Totals)
			}
			if got := len(campaignDMs(h, campaignContent)); got != 3 {
				t.Errorf("%d recipients got a campaign DM, want 3", got)
			}
		})
	}
}

// TestCampaignNotFollowingNotMarked checks that a recipient who accepts
// DMs only from accounts they follow is not marked undeliverable, because
// following the account lifts the refusal. A recipient who accepts no DMs
// from the account is marked.
func TestCampaignNotFollowingNotMarked(t *testing.T) {
	h, acct, ids := campaignHarness(t, 2)
	if err := h.fake.SetDMRefusal(ids[0], xtest.DMRefusedNotFollowing); err != nil {
		t.Fatal(err)
	}
	if err := h.fake.SetDMRefusal(ids[1], xtest.DMRefused); err != nil {
		t.Fatal(err)
	}
	first := h.createCampaign(acct, ids)
	h.runCampaign(first.ID, nil)
	if v := h.campaign(first.ID); *v.Totals != (campaignTotals{Failed: 2}) {
		t.Errorf("first campaign totals %+v, want 2 failed", *v.Totals)
	}
	ctx := context.Background()
	if sup, err := h.srv.store.Suppression(ctx, acct, ids[0]); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("suppression of the customer who does not follow = %+v, %v; want none recorded", sup, err)
	}
	if sup, err := h.srv.store.Suppression(ctx, acct, ids[1]); err != nil || sup.Undeliverable == "" {
		t.Errorf("suppression of the customer who accepts no DMs = %+v, %v; want undeliverable", sup, err)
	}

	// The customer follows the account; the next campaign reaches them
	// and skips the other.
	if err := h.fake.SetDMRefusal(ids[0], xtest.DMAccepted); err != nil {
		t.Fatal(err)
	}
	second := h.createCampaign(acct, ids)
	h.runCampaign(second.ID, nil)
	if v := h.campaign(second.ID); *v.Totals != (campaignTotals{Sent: 1, Skipped: 1}) {
		t.Errorf("second campaign totals %+v, want 1 sent and 1 skipped", *v.Totals)
	}
}

// TestOptOutConfirmationOncePerDay has a contact alternate STOP and START
// twenty times within an hour. The account must send them one
// confirmation, not one per STOP, and the contact's last keyword must
// decide their state. A STOP more than a day after the confirmation is
// confirmed again.
func TestOptOutConfirmationOncePerDay(t *testing.T) {
	h, acct, ids := campaignHarness(t, 1)
	const confirmation = "You are unsubscribed and will receive no more campaign messages from this account. Reply START to subscribe again."
	ctx := context.Background()
	drain := func() {
		t.Helper()
		for range 50 {
			n, err := h.srv.sender.sendDue(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				return
			}
		}
		t.Fatal("the outbox is still sending after 50 rounds")
	}
	start := h.clock.now()
	for i := range 20 {
		text := "STOP"
		if i%2 == 1 {
			text = "START"
		}
		h.receive(fmt.Sprint(1900000000000000200+i), ids[0], text)
		drain()
		h.clock.advance(2 * time.Minute)
	}
	confirmations := campaignDMs(h, confirmation)[ids[0]]
	if len(confirmations) != 1 {
		t.Fatalf("contact got %d confirmations for 10 STOPs in %v, want 1", len(confirmations), h.clock.now().Sub(start))
	}
	sup, err := h.srv.store.Suppression(ctx, acct, ids[0])
	if err != nil || sup.OptedOut {
		t.Errorf("suppression after the last START = %+v, %v; want opted back in", sup, err)
	}

	// A day after the confirmation, STOP is confirmed again, once.
	h.clock.set(confirmations[0].Time.Add(24*time.Hour + time.Second))
	h.receive("1900000000000000300", ids[0], "STOP")
	h.receive("1900000000000000301", ids[0], "START")
	h.receive("1900000000000000302", ids[0], "STOP")
	drain()
	if got := len(campaignDMs(h, confirmation)[ids[0]]); got != 2 {
		t.Errorf("contact got %d confirmations after a day, want 2", got)
	}
	if sup, err := h.srv.store.Suppression(ctx, acct, ids[0]); err != nil || !sup.OptedOut {
		t.Errorf("suppression after the last STOP = %+v, %v; want opted out", sup, err)
	}
}

// FuzzDetailNamesRecipient checks that a v2 403 detail about message
// requests or about a recipient who does not follow the account never
// marks the recipient, whatever else the detail says.
func FuzzDetailNamesRecipient(f *testing.F) {
	for _, seed := range []string{
		"You are not permitted to send Direct Messages to this user.",
		"You are not permitted to send message requests to this user.",
		"You cannot send messages to users who are not following you.",
		"", "TO THIS USER", "\xff to this user",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, detail string) {
		got := detailNamesRecipient(detail)
		lower := strings.ToLower(detail)
		if got && (strings.Contains(lower, "message request") || strings.Contains(lower, "not following you")) {
			t.Errorf("detailNamesRecipient(%q) = true for a refusal that does not concern the recipient", detail)
		}
		if got && !strings.Contains(lower, "to this user") {
			t.Errorf("detailNamesRecipient(%q) = true without naming the recipient", detail)
		}
	})
}
