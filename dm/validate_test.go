package dm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/goodgo/xactivity"
)

// TestInvalidInputSendsNothing checks that every documented limit is
// enforced before a request: the call fails with ErrInvalid, which is
// permanent, and the transport receives no request.
func TestInvalidInputSendsNothing(t *testing.T) {
	longText := strings.Repeat("ü", MaxTextLength+1)
	okMedia := []string{"1455952740635586573"}
	options := func(n int) []QuickReplyOption {
		out := make([]QuickReplyOption, n)
		for i := range out {
			out[i] = QuickReplyOption{Label: fmt.Sprint("option ", i)}
		}
		return out
	}
	ids := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprint(1000 + i)
		}
		return out
	}
	button := Button{Label: "Shop", URL: "https://example.com"}
	tests := []struct {
		name string
		call func(context.Context, *Client) error
	}{
		{"participant id with letters", func(ctx context.Context, c *Client) error {
			_, err := c.SendToParticipant(ctx, "12a", Message{Text: "x"})
			return err
		}},
		{"participant id zero", func(ctx context.Context, c *Client) error {
			_, err := c.SendToParticipant(ctx, "0", Message{Text: "x"})
			return err
		}},
		{"participant id path traversal", func(ctx context.Context, c *Client) error {
			_, err := c.SendToParticipant(ctx, "../1", Message{Text: "x"})
			return err
		}},
		{"empty message", func(ctx context.Context, c *Client) error {
			_, err := c.SendToParticipant(ctx, "1", Message{})
			return err
		}},
		{"text too long", func(ctx context.Context, c *Client) error {
			_, err := c.SendToParticipant(ctx, "1", Message{Text: longText})
			return err
		}},
		{"text not UTF-8", func(ctx context.Context, c *Client) error {
			_, err := c.SendToParticipant(ctx, "1", Message{Text: "\xff"})
			return err
		}},
		{"two media", func(ctx context.Context, c *Client) error {
			_, err := c.SendToParticipant(ctx, "1", Message{MediaIDs: append(okMedia, okMedia...)})
			return err
		}},
		{"media id not decimal", func(ctx context.Context, c *Client) error {
			_, err := c.SendToParticipant(ctx, "1", Message{MediaIDs: []string{"3_1455952740635586573"}})
			return err
		}},
		{"conversation id malformed", func(ctx context.Context, c *Client) error {
			_, err := c.SendToConversation(ctx, "1-2-3", Message{Text: "x"})
			return err
		}},
		{"group of one", func(ctx context.Context, c *Client) error {
			_, err := c.CreateGroupConversation(ctx, ids(1), Message{Text: "x"})
			return err
		}},
		{"group of fifty", func(ctx context.Context, c *Client) error {
			_, err := c.CreateGroupConversation(ctx, ids(50), Message{Text: "x"})
			return err
		}},
		{"group with duplicate", func(ctx context.Context, c *Client) error {
			_, err := c.CreateGroupConversation(ctx, []string{"5", "5"}, Message{Text: "x"})
			return err
		}},
		{"event id empty", func(ctx context.Context, c *Client) error {
			_, err := c.Event(ctx, "", Fields{})
			return err
		}},
		{"field with comma", func(ctx context.Context, c *Client) error {
			_, err := c.Event(ctx, "1", Fields{UserFields: []string{"name,id"}})
			return err
		}},
		{"delete event id signed", func(ctx context.Context, c *Client) error {
			return c.DeleteEvent(ctx, "-1")
		}},
		{"max results 101", func(ctx context.Context, c *Client) error {
			_, err := c.EventPages(ListOptions{MaxResults: 101}).Next(ctx)
			return err
		}},
		{"empty event type", func(ctx context.Context, c *Client) error {
			_, err := c.EventPages(ListOptions{EventTypes: []EventType{""}}).Next(ctx)
			return err
		}},
		{"list conversation malformed", func(ctx context.Context, c *Client) error {
			_, err := c.ConversationEventPages("abc", ListOptions{}).Next(ctx)
			return err
		}},
		{"list participant malformed", func(ctx context.Context, c *Client) error {
			for _, err := range c.ParticipantEvents(ctx, "", ListOptions{}) {
				return err
			}
			return nil
		}},
		{"v1.1 empty message", func(ctx context.Context, c *Client) error {
			_, err := c.SendV11(ctx, "1", V11Message{})
			return err
		}},
		{"v1.1 text too long", func(ctx context.Context, c *Client) error {
			_, err := c.SendV11(ctx, "1", V11Message{Text: longText})
			return err
		}},
		{"v1.1 21 quick replies", func(ctx context.Context, c *Client) error {
			_, err := c.SendV11(ctx, "1", V11Message{Text: "x", QuickReplies: options(21)})
			return err
		}},
		{"v1.1 label of 37", func(ctx context.Context, c *Client) error {
			_, err := c.SendV11(ctx, "1", V11Message{Text: "x", QuickReplies: []QuickReplyOption{{Label: strings.Repeat("a", 37)}}})
			return err
		}},
		{"v1.1 empty label", func(ctx context.Context, c *Client) error {
			_, err := c.SendV11(ctx, "1", V11Message{Text: "x", QuickReplies: []QuickReplyOption{{Label: ""}}})
			return err
		}},
		{"v1.1 description of 73", func(ctx context.Context, c *Client) error {
			o := QuickReplyOption{Label: "a", Description: strings.Repeat("d", 73)}
			_, err := c.SendV11(ctx, "1", V11Message{Text: "x", QuickReplies: []QuickReplyOption{o}})
			return err
		}},
		{"v1.1 metadata of 1001", func(ctx context.Context, c *Client) error {
			o := QuickReplyOption{Label: "a", Metadata: strings.Repeat("m", 1001)}
			_, err := c.SendV11(ctx, "1", V11Message{Text: "x", QuickReplies: []QuickReplyOption{o}})
			return err
		}},
		{"v1.1 description on some options only", func(ctx context.Context, c *Client) error {
			o := []QuickReplyOption{{Label: "a", Description: "d"}, {Label: "b"}}
			_, err := c.SendV11(ctx, "1", V11Message{Text: "x", QuickReplies: o})
			return err
		}},
		{"v1.1 four buttons", func(ctx context.Context, c *Client) error {
			_, err := c.SendV11(ctx, "1", V11Message{Text: "x", Buttons: []Button{button, button, button, button}})
			return err
		}},
		{"v1.1 button type", func(ctx context.Context, c *Client) error {
			b := button
			b.Type = "postback"
			_, err := c.SendV11(ctx, "1", V11Message{Text: "x", Buttons: []Button{b}})
			return err
		}},
		{"v1.1 button label of 37", func(ctx context.Context, c *Client) error {
			b := button
			b.Label = strings.Repeat("b", 37)
			_, err := c.SendV11(ctx, "1", V11Message{Text: "x", Buttons: []Button{b}})
			return err
		}},
		{"v1.1 button URL not http", func(ctx context.Context, c *Client) error {
			b := button
			b.URL = "javascript:alert(1)"
			_, err := c.SendV11(ctx, "1", V11Message{Text: "x", Buttons: []Button{b}})
			return err
		}},
		{"v1.1 media id", func(ctx context.Context, c *Client) error {
			_, err := c.SendV11(ctx, "1", V11Message{MediaID: "x"})
			return err
		}},
		{"v1.1 recipient", func(ctx context.Context, c *Client) error {
			_, err := c.SendV11(ctx, "01", V11Message{Text: "x"})
			return err
		}},
		{"v1.1 list count 51", func(ctx context.Context, c *Client) error {
			_, err := c.ListV11(ctx, 51, "")
			return err
		}},
		{"v1.1 list count negative", func(ctx context.Context, c *Client) error {
			for _, err := range c.V11Events(ctx, -1) {
				return err
			}
			return nil
		}},
		{"v1.1 show id", func(ctx context.Context, c *Client) error {
			_, err := c.ShowV11(ctx, "1 OR 1")
			return err
		}},
		{"v1.1 destroy id", func(ctx context.Context, c *Client) error { return c.DestroyV11(ctx, "") }},
		{"typing recipient", func(ctx context.Context, c *Client) error { return c.IndicateTyping(ctx, "x") }},
		{"mark read event", func(ctx context.Context, c *Client) error { return c.MarkRead(ctx, "1", "x") }},
		{"welcome name not UTF-8", func(ctx context.Context, c *Client) error {
			_, err := c.NewWelcomeMessage(ctx, "\xff", V11Message{Text: "x"})
			return err
		}},
		{"welcome message empty", func(ctx context.Context, c *Client) error {
			_, err := c.NewWelcomeMessage(ctx, "n", V11Message{})
			return err
		}},
		{"welcome show id", func(ctx context.Context, c *Client) error {
			_, err := c.ShowWelcomeMessage(ctx, "")
			return err
		}},
		{"welcome destroy id", func(ctx context.Context, c *Client) error { return c.DestroyWelcomeMessage(ctx, "a") }},
		{"welcome list count", func(ctx context.Context, c *Client) error {
			_, err := c.WelcomeMessages(ctx, 100, "")
			return err
		}},
		{"rule welcome id", func(ctx context.Context, c *Client) error {
			_, err := c.NewWelcomeRule(ctx, "0")
			return err
		}},
		{"rule show id", func(ctx context.Context, c *Client) error {
			_, err := c.ShowWelcomeRule(ctx, "")
			return err
		}},
		{"rule destroy id", func(ctx context.Context, c *Client) error { return c.DestroyWelcomeRule(ctx, "") }},
		{"rule list count", func(ctx context.Context, c *Client) error {
			_, err := c.WelcomeRules(ctx, -5, "")
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, mock := newMock(t)
			err := tc.call(context.Background(), c)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error = %v, want ErrInvalid", err)
			}
			if !xactivity.IsPermanent(err) || xactivity.IsRetryable(err) {
				t.Errorf("error %v: want permanent and not retryable", err)
			}
			if !strings.HasPrefix(err.Error(), "dm: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
			checkCalls(t, mock, 0)
		})
	}
}

// TestLimitsAccepted checks the largest inputs within X's limits pass.
func TestLimitsAccepted(t *testing.T) {
	label := strings.Repeat("é", MaxQuickReplyLabel)
	options := make([]QuickReplyOption, MaxQuickReplyOptions)
	for i := range options {
		options[i] = QuickReplyOption{
			Label:       label,
			Description: strings.Repeat("d", MaxQuickReplyDescription),
			Metadata:    strings.Repeat("m", MaxQuickReplyMetadata),
		}
	}
	button := Button{Label: strings.Repeat("b", MaxButtonLabel), URL: "http://example.com/a?b=c"}
	m := V11Message{
		Text:         strings.Repeat("ü", MaxTextLength),
		QuickReplies: options,
		MediaID:      "9999999999999999999",
		Buttons:      []Button{button, button, button},
	}
	if err := m.validate(); err != nil {
		t.Errorf("V11Message at the limits: %v", err)
	}
	if err := (Message{Text: m.Text, MediaIDs: []string{"1"}}).validate(); err != nil {
		t.Errorf("Message at the limits: %v", err)
	}
	group := make([]string, MaxGroupParticipants)
	for i := range group {
		group[i] = fmt.Sprint(i + 1)
	}
	if err := checkParticipants(group); err != nil {
		t.Errorf("group of %d: %v", MaxGroupParticipants, err)
	}
}

func TestValidConversationID(t *testing.T) {
	tests := []struct {
		id   string
		want bool
	}{
		{"1582838223104090117", true},
		{"906948460078698496-944480690", true},
		{"1-2", true},
		{"", false},
		{"-", false},
		{"1-", false},
		{"-1", false},
		{"1-2-3", false},
		{"01-2", false},
		{"a-b", false},
	}
	for _, tc := range tests {
		if got := ValidConversationID(tc.id); got != tc.want {
			t.Errorf("ValidConversationID(%q) = %v, want %v", tc.id, got, tc.want)
		}
	}
}

func TestNewClientOptions(t *testing.T) {
	hc := &http.Client{}
	tests := []struct {
		name    string
		client  *http.Client
		opts    []Option
		wantErr string
	}{
		{name: "defaults", client: hc},
		{name: "nil client", wantErr: "http client is nil"},
		{name: "relative base URL", client: hc, opts: []Option{WithBaseURL("/api")}, wantErr: "absolute"},
		{name: "ftp base URL", client: hc, opts: []Option{WithBaseURL("ftp://x")}, wantErr: "absolute"},
		{name: "base URL with query", client: hc, opts: []Option{WithBaseURL("https://x?a=b")}, wantErr: "query"},
		{name: "base URL with user", client: hc, opts: []Option{WithBaseURL("https://u:p@x")}, wantErr: "user"},
		{name: "base URL unparsable", client: hc, opts: []Option{WithBaseURL("http://[::1")}, wantErr: "invalid base URL"},
		{name: "empty user agent", client: hc, opts: []Option{WithUserAgent("")}, wantErr: "empty"},
		{name: "user agent with newline", client: hc, opts: []Option{WithUserAgent("a\r\nX-Evil: 1")}, wantErr: "printable"},
		{name: "zero max response", client: hc, opts: []Option{WithMaxResponseBytes(0)}, wantErr: "positive"},
		{name: "all valid", client: hc, opts: []Option{
			WithBaseURL("http://127.0.0.1:8080/prefix"), WithUserAgent("shop/1.0"), WithMaxResponseBytes(1 << 10),
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := NewClient(tc.client, tc.opts...)
			if tc.wantErr == "" {
				if err != nil || c == nil {
					t.Fatalf("NewClient = %v, %v; want a client", c, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("NewClient error = %v, want one containing %q", err, tc.wantErr)
			}
			if !strings.HasPrefix(err.Error(), "dm: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

// TestOptionsApplied checks the base URL prefix, user agent and response
// limit reach the wire.
func TestOptionsApplied(t *testing.T) {
	var got *http.Request
	rt := roundTripFunc(func(req *http.Request) (*http.Response, error) {
		got = req
		return jsonResponse(req, http.StatusOK, `{"data":{"deleted":true},"padding":"`+strings.Repeat("x", 64)+`"}`), nil
	})
	c, err := NewClient(&http.Client{Transport: rt},
		WithBaseURL("http://127.0.0.1:8080/fake/"), WithUserAgent("shop/1.0"), WithMaxResponseBytes(32))
	if err != nil {
		t.Fatal(err)
	}
	err = c.DeleteEvent(context.Background(), "5")
	if got == nil {
		t.Fatal("no request sent")
	}
	if want := "http://127.0.0.1:8080/fake/2/dm_events/5"; got.URL.String() != want {
		t.Errorf("URL = %q, want %q", got.URL, want)
	}
	if ua := got.Header.Get("User-Agent"); ua != "shop/1.0" {
		t.Errorf("User-Agent = %q, want shop/1.0", ua)
	}
	if err == nil || !strings.Contains(err.Error(), "exceeds 32 bytes") {
		t.Errorf("DeleteEvent error = %v, want the response limit exceeded", err)
	}
}
