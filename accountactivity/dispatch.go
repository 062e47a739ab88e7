package accountactivity

import (
	"context"
	"errors"
	"fmt"
)

// Handler handles one event of type E from delivery d.
type Handler[E Event] func(ctx context.Context, d *Delivery, e E) error

// Dispatcher calls the handlers registered for each event of a delivery.
//
// For each event, Dispatcher first calls the OnEvent handlers, then the
// handlers registered for the event's kind (OnUnknown for an UnknownEvent),
// each group in registration order. Every handler runs even when an earlier
// one failed; their errors are joined.
//
// The zero value is ready to use and has no handlers. Register all handlers
// before the first Dispatch or DispatchEvent call: registering is not safe
// while events are dispatched. After that, a Dispatcher is safe for
// concurrent use, and so is a Delivery shared by concurrent handlers.
type Dispatcher struct {
	event       []Handler[Event]
	tweetCreate []Handler[*TweetCreateEvent]
	favorite    []Handler[*FavoriteEvent]
	follow      []Handler[*FollowEvent]
	block       []Handler[*BlockEvent]
	mute        []Handler[*MuteEvent]
	dm          []Handler[*DirectMessage]
	typing      []Handler[*TypingEvent]
	markRead    []Handler[*MarkReadEvent]
	tweetDelete []Handler[*TweetDeleteEvent]
	revoke      []Handler[*RevokeEvent]
	replay      []Handler[*ReplayJobStatus]
	profile     []Handler[*ProfileUpdateEvent]
	activity    []Handler[*ActivityEvent]
	unknown     []Handler[*UnknownEvent]
}

// OnEvent registers h for every event, before the kind's own handlers.
func (x *Dispatcher) OnEvent(h Handler[Event]) { x.event = append(x.event, h) }

// OnTweetCreate registers h for KindTweetCreate events.
func (x *Dispatcher) OnTweetCreate(h Handler[*TweetCreateEvent]) {
	x.tweetCreate = append(x.tweetCreate, h)
}

// OnFavorite registers h for KindFavorite events.
func (x *Dispatcher) OnFavorite(h Handler[*FavoriteEvent]) { x.favorite = append(x.favorite, h) }

// OnFollow registers h for KindFollow events: follows and unfollows.
func (x *Dispatcher) OnFollow(h Handler[*FollowEvent]) { x.follow = append(x.follow, h) }

// OnBlock registers h for KindBlock events: blocks and unblocks.
func (x *Dispatcher) OnBlock(h Handler[*BlockEvent]) { x.block = append(x.block, h) }

// OnMute registers h for KindMute events: mutes and unmutes.
func (x *Dispatcher) OnMute(h Handler[*MuteEvent]) { x.mute = append(x.mute, h) }

// OnDirectMessage registers h for KindDirectMessage events, incoming and
// outgoing.
func (x *Dispatcher) OnDirectMessage(h Handler[*DirectMessage]) { x.dm = append(x.dm, h) }

// OnTyping registers h for KindTyping events.
func (x *Dispatcher) OnTyping(h Handler[*TypingEvent]) { x.typing = append(x.typing, h) }

// OnMarkRead registers h for KindMarkRead events.
func (x *Dispatcher) OnMarkRead(h Handler[*MarkReadEvent]) { x.markRead = append(x.markRead, h) }

// OnTweetDelete registers h for KindTweetDelete events.
func (x *Dispatcher) OnTweetDelete(h Handler[*TweetDeleteEvent]) {
	x.tweetDelete = append(x.tweetDelete, h)
}

// OnRevoke registers h for KindRevoke events.
func (x *Dispatcher) OnRevoke(h Handler[*RevokeEvent]) { x.revoke = append(x.revoke, h) }

// OnReplayJobStatus registers h for KindReplayJobStatus events.
func (x *Dispatcher) OnReplayJobStatus(h Handler[*ReplayJobStatus]) {
	x.replay = append(x.replay, h)
}

// OnProfileUpdate registers h for KindProfileUpdate events.
func (x *Dispatcher) OnProfileUpdate(h Handler[*ProfileUpdateEvent]) {
	x.profile = append(x.profile, h)
}

// OnActivity registers h for KindActivity events: XAA events that this
// package does not decode further.
func (x *Dispatcher) OnActivity(h Handler[*ActivityEvent]) { x.activity = append(x.activity, h) }

// OnUnknown registers h for KindUnknown events: entries under top-level
// keys that this package does not know. e.Raw returns their JSON.
func (x *Dispatcher) OnUnknown(h Handler[*UnknownEvent]) { x.unknown = append(x.unknown, h) }

// Dispatch calls the handlers for every event of d in body order. It keeps
// going after a handler error and returns all handler errors joined. It
// checks ctx before each event and stops, adding ctx.Err(), once ctx is
// done. Decoding errors in d.Errors are not dispatched and not returned.
func (x *Dispatcher) Dispatch(ctx context.Context, d *Delivery) error {
	var errs []error
	for _, e := range d.Events {
		if err := ctx.Err(); err != nil {
			errs = append(errs, err)
			break
		}
		errs = x.dispatch(ctx, d, e, errs)
	}
	return errors.Join(errs...)
}

// DispatchEvent calls the handlers for the single event e of delivery d,
// as Dispatch does for each event, and returns their errors joined. When
// ctx is already done it calls no handler and returns ctx.Err().
func (x *Dispatcher) DispatchEvent(ctx context.Context, d *Delivery, e Event) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return errors.Join(x.dispatch(ctx, d, e, nil)...)
}

func (x *Dispatcher) dispatch(ctx context.Context, d *Delivery, e Event, errs []error) []error {
	errs = run(ctx, d, e, x.event, errs)
	switch e := e.(type) {
	case *TweetCreateEvent:
		return run(ctx, d, e, x.tweetCreate, errs)
	case *FavoriteEvent:
		return run(ctx, d, e, x.favorite, errs)
	case *FollowEvent:
		return run(ctx, d, e, x.follow, errs)
	case *BlockEvent:
		return run(ctx, d, e, x.block, errs)
	case *MuteEvent:
		return run(ctx, d, e, x.mute, errs)
	case *DirectMessage:
		return run(ctx, d, e, x.dm, errs)
	case *TypingEvent:
		return run(ctx, d, e, x.typing, errs)
	case *MarkReadEvent:
		return run(ctx, d, e, x.markRead, errs)
	case *TweetDeleteEvent:
		return run(ctx, d, e, x.tweetDelete, errs)
	case *RevokeEvent:
		return run(ctx, d, e, x.revoke, errs)
	case *ReplayJobStatus:
		return run(ctx, d, e, x.replay, errs)
	case *ProfileUpdateEvent:
		return run(ctx, d, e, x.profile, errs)
	case *ActivityEvent:
		return run(ctx, d, e, x.activity, errs)
	case *UnknownEvent:
		return run(ctx, d, e, x.unknown, errs)
	}
	return errs
}

// run calls each handler and appends its error, wrapped with the event's
// kind.
func run[E Event](ctx context.Context, d *Delivery, e E, hs []Handler[E], errs []error) []error {
	for _, h := range hs {
		if err := h(ctx, d, e); err != nil {
			errs = append(errs, fmt.Errorf("accountactivity: %s handler: %w", e.Kind(), err))
		}
	}
	return errs
}
