package dm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/jarcoal/httpmock"

	"github.com/goodgo/xactivity"
)

// pageServer serves a v2 listing from pages keyed by pagination_token,
// records the tokens requested, and can fail one request.
type pageServer struct {
	t      *testing.T
	pages  map[string]string // token ("" for the first page) to body
	tokens []string
	failAt int // 1-based request number that gets a 503; 0 for none
}

func (s *pageServer) respond(req *http.Request) (*http.Response, error) {
	if err := validateV2Request(s.t, req); err != nil {
		s.t.Errorf("request does not conform to X's OpenAPI description: %v", err)
	}
	token := req.URL.Query().Get("pagination_token")
	s.tokens = append(s.tokens, token)
	if len(s.tokens) == s.failAt {
		return jsonResponse(req, http.StatusServiceUnavailable, `{"title":"Service Unavailable","type":"about:blank","status":503}`), nil
	}
	body, ok := s.pages[token]
	if !ok {
		s.t.Errorf("unexpected pagination_token %q", token)
		return jsonResponse(req, http.StatusBadRequest, `{}`), nil
	}
	return jsonResponse(req, http.StatusOK, body), nil
}

func eventsPage(next string, ids ...string) string {
	data := "["
	for i, id := range ids {
		if i > 0 {
			data += ","
		}
		data += fmt.Sprintf(`{"id":%q,"event_type":"MessageCreate","text":"m%s"}`, id, id)
	}
	data += "]"
	meta := fmt.Sprintf(`{"result_count":%d`, len(ids))
	if next != "" {
		meta += fmt.Sprintf(`,"next_token":%q`, next)
	}
	return fmt.Sprintf(`{"data":%s,"meta":%s}`, data, meta+"}")
}

const (
	token2 = "18LAA581J5II7LA00002"
	token3 = "18LAA581J5II7LA00003"
)

func newPageServer(t *testing.T) *pageServer {
	return &pageServer{t: t, pages: map[string]string{
		"":     eventsPage(token2, "13", "12"),
		token2: `{"meta":{"result_count":0,"next_token":"` + token3 + `"}}`, // empty, yet not the end
		token3: eventsPage("", "11"),
	}}
}

func mockPages(t *testing.T, s *pageServer) *Client {
	t.Helper()
	c, mock := newMock(t)
	mock.RegisterResponder("GET", testBaseURL+"/2/dm_events", s.respond)
	return c
}

func TestEventsFollowsTokensThroughEmptyPage(t *testing.T) {
	s := newPageServer(t)
	c := mockPages(t, s)
	var ids []string
	for e, err := range c.Events(context.Background(), ListOptions{MaxResults: 2}) {
		if err != nil {
			t.Fatalf("Events: %v", err)
		}
		ids = append(ids, e.ID)
	}
	if want := []string{"13", "12", "11"}; !slices.Equal(ids, want) {
		t.Errorf("ids = %v, want %v", ids, want)
	}
	if want := []string{"", token2, token3}; !slices.Equal(s.tokens, want) {
		t.Errorf("tokens requested = %q, want %q", s.tokens, want)
	}
}

func TestPagerNextAndDone(t *testing.T) {
	s := newPageServer(t)
	c := mockPages(t, s)
	p := c.EventPages(ListOptions{})
	var sizes []int
	for p.More() {
		page, err := p.Next(context.Background())
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		sizes = append(sizes, len(page.Events))
	}
	if want := []int{2, 0, 1}; !slices.Equal(sizes, want) {
		t.Errorf("page sizes = %v, want %v", sizes, want)
	}
	if _, err := p.Next(context.Background()); !errors.Is(err, ErrNoMorePages) {
		t.Errorf("Next after the last page = %v, want ErrNoMorePages", err)
	}
	if len(s.tokens) != 3 {
		t.Errorf("made %d requests, want 3", len(s.tokens))
	}
}

// TestPagerRetriesSamePage checks a failed page can be fetched again
// without skipping or repeating events.
func TestPagerRetriesSamePage(t *testing.T) {
	s := newPageServer(t)
	s.failAt = 2
	c := mockPages(t, s)
	p := c.EventPages(ListOptions{})
	ctx := context.Background()
	if _, err := p.Next(ctx); err != nil {
		t.Fatalf("first Next: %v", err)
	}
	_, err := p.Next(ctx)
	if !xactivity.IsRetryable(err) {
		t.Fatalf("second Next error = %v, want a retryable 503", err)
	}
	if !p.More() {
		t.Fatal("More = false after a failed page")
	}
	page, err := p.Next(ctx)
	if err != nil || page.NextToken != token3 {
		t.Fatalf("retried Next = %+v, %v; want the empty page leading to %s", page, err, token3)
	}
	if want := []string{"", token2, token2}; !slices.Equal(s.tokens, want) {
		t.Errorf("tokens requested = %q, want %q", s.tokens, want)
	}
}

func TestEventsStopsAfterError(t *testing.T) {
	s := newPageServer(t)
	s.failAt = 2
	c := mockPages(t, s)
	var ids []string
	var errs []error
	for e, err := range c.Events(context.Background(), ListOptions{}) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ids = append(ids, e.ID)
	}
	if len(errs) != 1 || !xactivity.IsRetryable(errs[0]) {
		t.Errorf("errors = %v, want one retryable error", errs)
	}
	if want := []string{"13", "12"}; !slices.Equal(ids, want) {
		t.Errorf("ids = %v, want %v", ids, want)
	}
}

func TestEventsBreakStopsRequests(t *testing.T) {
	s := newPageServer(t)
	c := mockPages(t, s)
	for _, err := range c.Events(context.Background(), ListOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		break
	}
	if len(s.tokens) != 1 {
		t.Errorf("made %d requests after an early break, want 1", len(s.tokens))
	}
}

func TestPagerRepeatedToken(t *testing.T) {
	s := &pageServer{t: t, pages: map[string]string{
		"":     eventsPage(token2, "2"),
		token2: eventsPage(token2, "1"),
	}}
	c := mockPages(t, s)
	var errs []error
	for _, err := range c.Events(context.Background(), ListOptions{}) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) != 1 || !errors.Is(errs[0], errRepeatedToken) {
		t.Errorf("errors = %v, want one repeated-token error", errs)
	}
	if len(s.tokens) != 2 {
		t.Errorf("made %d requests, want 2", len(s.tokens))
	}
}

func TestV11EventsFollowsCursor(t *testing.T) {
	c, mock := newMock(t)
	var cursors []string
	pages := map[string]string{
		"":   `{"events":[{"type":"message_create","id":"3"},{"type":"message_create","id":"2"}],"next_cursor":"c2"}`,
		"c2": `{"events":[],"next_cursor":"c3"}`,
		"c3": `{"events":[{"type":"message_create","id":"1"}]}`,
	}
	mock.RegisterResponder("GET", testBaseURL+"/1.1/direct_messages/events/list.json", func(req *http.Request) (*http.Response, error) {
		q := req.URL.Query()
		if _, ok := q["cursor"]; ok && q.Get("cursor") == "" {
			t.Error("request sent an empty cursor parameter")
		}
		if q.Get("count") != "2" {
			t.Errorf("count = %q, want 2", q.Get("count"))
		}
		cursors = append(cursors, q.Get("cursor"))
		return httpmock.NewStringResponse(http.StatusOK, pages[q.Get("cursor")]), nil
	})
	var ids []string
	for e, err := range c.V11Events(context.Background(), 2) {
		if err != nil {
			t.Fatalf("V11Events: %v", err)
		}
		ids = append(ids, e.ID)
	}
	if want := []string{"3", "2", "1"}; !slices.Equal(ids, want) {
		t.Errorf("ids = %v, want %v", ids, want)
	}
	if want := []string{"", "c2", "c3"}; !slices.Equal(cursors, want) {
		t.Errorf("cursors = %q, want %q", cursors, want)
	}
}

func TestV11EventsRepeatedCursor(t *testing.T) {
	c, mock := newMock(t)
	mock.RegisterResponder("GET", testBaseURL+"/1.1/direct_messages/events/list.json",
		httpmock.NewStringResponder(http.StatusOK, `{"events":[],"next_cursor":"same"}`))
	var errs []error
	for _, err := range c.V11Events(context.Background(), 0) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) != 1 || !errors.Is(errs[0], errRepeatedCursor) {
		t.Errorf("errors = %v, want one repeated-cursor error", errs)
	}
	checkCalls(t, mock, 2)
}
