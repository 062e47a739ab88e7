package main

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/goodgo/xactivity"
	"github.com/goodgo/xactivity/dm"
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
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"v1.1 code 150", &xactivity.APIError{StatusCode: 403, Codes: []xactivity.ErrorCode{{Code: 150}}}, true},
		{"v1.1 code 349", &xactivity.APIError{StatusCode: 403, Codes: []xactivity.ErrorCode{{Code: 349}}}, true},
		{"v1.1 code 476", &xactivity.APIError{StatusCode: 403, Codes: []xactivity.ErrorCode{{Code: 476}}}, true},
		{"v1.1 other 403", &xactivity.APIError{StatusCode: 403, Codes: []xactivity.ErrorCode{{Code: 93}}}, false},
		{"v2 403 about the user", &xactivity.APIError{StatusCode: 403, Problems: []xactivity.Problem{{Type: "about:blank"}}}, true},
		{"v2 missing access", &xactivity.APIError{StatusCode: 403, Problems: []xactivity.Problem{problem("client-forbidden")}}, false},
		{"v2 wrong token kind", &xactivity.APIError{StatusCode: 403, Problems: []xactivity.Problem{problem("unsupported-authentication")}}, false},
		{"v2 400", &xactivity.APIError{StatusCode: 400, Problems: []xactivity.Problem{problem("invalid-request")}}, false},
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
