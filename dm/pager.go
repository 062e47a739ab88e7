package dm

import (
	"context"
	"errors"
	"iter"
	"net/http"

	"github.com/goodgo/xactivity/internal/wire"
	"github.com/goodgo/xactivity/ratelimit"
)

// ErrNoMorePages is returned by Pager.Next after the last page.
var ErrNoMorePages = errors.New("dm: no more pages")

// Pager reads a v2 event listing one page at a time, following
// meta.next_token through empty pages until X omits it. A Pager is not
// safe for concurrent use. Create one with Client.EventPages,
// Client.ConversationEventPages or Client.ParticipantEventPages.
//
//	p := client.EventPages(dm.ListOptions{MaxResults: 50})
//	for p.More() {
//		page, err := p.Next(ctx)
//		...
//	}
type Pager struct {
	client *Client
	path   string
	opts   ListOptions
	err    error // invalid input, returned by the first Next
	token  string
	done   bool
}

// EventPages lists the DM events of all the user's conversations
// (GET /2/dm_events), newest first, over the last 30 days.
func (c *Client) EventPages(opts ListOptions) *Pager {
	return c.newPager(path("2", "dm_events"), opts, nil)
}

// ConversationEventPages lists the events of one conversation
// (GET /2/dm_conversations/:dm_conversation_id/dm_events). conversationID
// must satisfy ValidConversationID.
func (c *Client) ConversationEventPages(conversationID string, opts ListOptions) *Pager {
	var err error
	if !ValidConversationID(conversationID) {
		err = invalidf("conversation id %q is neither an X id nor two ids joined by a hyphen", conversationID)
	}
	return c.newPager(path("2", "dm_conversations", conversationID, "dm_events"), opts, err)
}

// ParticipantEventPages lists the events of the one-to-one conversation
// with the user participantID
// (GET /2/dm_conversations/with/:participant_id/dm_events).
func (c *Client) ParticipantEventPages(participantID string, opts ListOptions) *Pager {
	err := checkID("participant id", participantID)
	return c.newPager(path("2", "dm_conversations", "with", participantID, "dm_events"), opts, err)
}

func (c *Client) newPager(p string, opts ListOptions, err error) *Pager {
	if err == nil {
		err = opts.validate()
	}
	return &Pager{client: c, path: p, opts: opts, err: err, token: opts.PaginationToken}
}

// More reports whether Next has another page to return.
func (p *Pager) More() bool { return !p.done }

// Next fetches and returns the next page. After a failed call the Pager
// stays on the same page, so Next can be called again, for example after a
// rate limit resets. Invalid options fail every call with ErrInvalid.
// After the last page Next returns ErrNoMorePages. Other errors are as for
// Client.Event.
func (p *Pager) Next(ctx context.Context) (Page, error) {
	if p.err != nil {
		return Page{}, p.err
	}
	if p.done {
		return Page{}, ErrNoMorePages
	}
	call := wire.Call{Method: http.MethodGet, Path: p.path, Query: p.opts.query(p.token)}
	resp, err := p.client.do(ctx, "list events", call)
	if err != nil {
		return Page{}, err
	}
	page, found, err := decodePage(resp.Body)
	if err != nil {
		return Page{}, err
	}
	if !found {
		return Page{}, wire.NewPartialError(call.Endpoint(), resp, page.Partial)
	}
	page.Rate = ratelimit.Parse(resp.Header)
	if page.NextToken != "" && page.NextToken == p.token {
		p.done = true
		return page, errRepeatedToken
	}
	p.token = page.NextToken
	p.done = page.NextToken == ""
	return page, nil
}

// All returns an iterator over the events of every remaining page. It
// yields a non-nil error at most once, as its last pair, and stops when
// the loop body breaks. ctx applies to every page request.
func (p *Pager) All(ctx context.Context) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		for p.More() {
			page, err := p.Next(ctx)
			if err != nil {
				yield(Event{}, err)
				return
			}
			for _, e := range page.Events {
				if !yield(e, nil) {
					return
				}
			}
		}
	}
}

// Events returns an iterator over the DM events of all the user's
// conversations, across pages: EventPages(opts).All(ctx).
//
//	for event, err := range client.Events(ctx, dm.ListOptions{}) {
//		if err != nil { ... }
//		...
//	}
func (c *Client) Events(ctx context.Context, opts ListOptions) iter.Seq2[Event, error] {
	return c.EventPages(opts).All(ctx)
}

// ConversationEvents returns an iterator over the events of one
// conversation: ConversationEventPages(conversationID, opts).All(ctx).
func (c *Client) ConversationEvents(ctx context.Context, conversationID string, opts ListOptions) iter.Seq2[Event, error] {
	return c.ConversationEventPages(conversationID, opts).All(ctx)
}

// ParticipantEvents returns an iterator over the events of the one-to-one
// conversation with participantID:
// ParticipantEventPages(participantID, opts).All(ctx).
func (c *Client) ParticipantEvents(ctx context.Context, participantID string, opts ListOptions) iter.Seq2[Event, error] {
	return c.ParticipantEventPages(participantID, opts).All(ctx)
}
