package main

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/goodgo/xactivity/accountactivity"
	"github.com/goodgo/xactivity/store"
)

// previewRunes is the length of a conversation's last-message preview.
const previewRunes = 100

type accountKey struct{}
type receivedKey struct{}

// processingAccount returns the connected account an event is processed
// for.
func processingAccount(ctx context.Context) store.Account {
	a, _ := ctx.Value(accountKey{}).(store.Account)
	return a
}

// receivedAt returns when the event's delivery was received, the time used
// for events that carry none of their own.
func receivedAt(ctx context.Context) time.Time {
	t, _ := ctx.Value(receivedKey{}).(time.Time)
	return t
}

// newDispatcher registers the service's event handlers.
func (s *server) newDispatcher() *accountactivity.Dispatcher {
	x := &accountactivity.Dispatcher{}
	x.OnDirectMessage(s.onDirectMessage)
	x.OnFollow(func(ctx context.Context, d *accountactivity.Delivery, e *accountactivity.FollowEvent) error {
		// Only follows of the account matter: the user becomes or stops being
		// a follower.
		return s.applyContact(ctx, e.Target.ID, e.Source, store.ContactFollowing, e.Type == "follow", e.CreatedAt)
	})
	x.OnBlock(func(ctx context.Context, d *accountactivity.Delivery, e *accountactivity.BlockEvent) error {
		return s.applyContact(ctx, e.Source.ID, e.Target, store.ContactBlocked, e.Type == "block", e.CreatedAt)
	})
	x.OnMute(func(ctx context.Context, d *accountactivity.Delivery, e *accountactivity.MuteEvent) error {
		return s.applyContact(ctx, e.Source.ID, e.Target, store.ContactMuted, e.Type == "mute", e.CreatedAt)
	})
	x.OnRevoke(s.onRevoke)
	x.OnReplayJobStatus(func(ctx context.Context, d *accountactivity.Delivery, e *accountactivity.ReplayJobStatus) error {
		s.log.Info("replay job finished", "job", e.JobID, "webhook", e.WebhookID, "state", e.JobState, "description", e.JobStateDescription)
		return nil
	})
	x.OnUnknown(func(ctx context.Context, d *accountactivity.Delivery, e *accountactivity.UnknownEvent) error {
		s.log.Info("unknown event kind stored, not processed", "key", e.Key, "account", d.ForUserID, "bytes", len(e.Raw()))
		return nil
	})
	return x
}

// process applies one claimed inbox event. Events for X users that no
// merchant had connected when the delivery arrived are only stored.
func (w *worker) process(ctx context.Context, item store.InboxItem, dd *decodedDelivery) error {
	if item.Kind == "empty" {
		return nil
	}
	if dd.delivery == nil {
		return fmt.Errorf("%w: the stored body is not a JSON object: %v", errPermanent, dd.err)
	}
	if e, ok := dd.errors[item.Key]; ok {
		return fmt.Errorf("%w: %v", errPermanent, e)
	}
	d := dd.delivery
	e, ok := dd.events[item.Key]
	if !ok {
		return fmt.Errorf("%w: no event with key %s in delivery %d", errPermanent, item.Key, item.DeliveryID)
	}
	ctx = context.WithValue(ctx, receivedKey{}, item.ReceivedAt)
	if d.ForUserID != "" {
		acct, err := w.s.store.AccountByXUserID(ctx, d.ForUserID)
		if errors.Is(err, store.ErrNotFound) || (err == nil && acct.CreatedAt.After(item.ReceivedAt)) {
			w.s.log.Info("event for an X user no merchant had connected; stored, not processed",
				"x_user", d.ForUserID, "kind", e.Kind(), "delivery", item.DeliveryID)
			return nil
		}
		if err != nil {
			return err
		}
		ctx = context.WithValue(ctx, accountKey{}, acct)
	}
	return w.dispatcher.DispatchEvent(ctx, d, e)
}

// onDirectMessage stores a DM, inbound or the account's own echoed one, in
// the conversation with the other participant.
func (s *server) onDirectMessage(ctx context.Context, d *accountactivity.Delivery, e *accountactivity.DirectMessage) error {
	acct := processingAccount(ctx)
	other := e.OtherParticipantID(acct.XUserID)
	direction, status := store.Inbound, store.MessageReceived
	if e.Outgoing(acct.XUserID) {
		direction, status = store.Outbound, store.MessageSent
	}
	kind := "text"
	if e.Attachment != nil {
		kind = "media"
	}
	var username string
	if u, ok := d.User(other); ok {
		username = u.ScreenName
	}
	msg, inserted, err := s.store.RecordMessage(ctx, store.Conversation{
		MerchantID:          acct.MerchantID,
		AccountID:           acct.ID,
		ParticipantID:       other,
		ParticipantUsername: username,
		LastMessagePreview:  preview(e.Text),
	}, store.Message{
		Direction: direction,
		XEventID:  e.ID,
		SenderID:  e.SenderID,
		Content:   e.Text,
		Type:      kind,
		Status:    status,
		CreatedAt: e.CreatedAt,
	})
	if err != nil {
		return fmt.Errorf("record DM %s: %w", e.ID, err)
	}
	if direction == store.Inbound {
		if err := s.applyOptKeyword(ctx, acct, msg.ConversationID, e); err != nil {
			return err
		}
	}
	s.log.Info("direct message stored", "account", acct.ID, "conversation", msg.ConversationID,
		"dm", e.ID, "direction", direction, "new", inserted)
	return nil
}

func preview(text string) string {
	if utf8.RuneCountInString(text) <= previewRunes {
		return text
	}
	runes := []rune(text)
	return string(runes[:previewRunes-1]) + "…"
}

// applyContact records a relation between the account and another user
// when ownerID, the side of the event that must be the account, is it.
func (s *server) applyContact(ctx context.Context, ownerID string, other accountactivity.User, field store.ContactField, value bool, at time.Time) error {
	acct := processingAccount(ctx)
	if ownerID != acct.XUserID || other.ID == "" {
		return nil
	}
	if at.IsZero() {
		at = receivedAt(ctx)
	}
	err := s.store.ApplyContactChange(ctx, store.ContactChange{
		AccountID: acct.ID,
		XUserID:   other.ID,
		Username:  other.ScreenName,
		Field:     field,
		Value:     value,
		At:        at,
	})
	if err != nil {
		return fmt.Errorf("record contact %s of account %s: %w", other.ID, acct.ID, err)
	}
	s.log.Info("contact updated", "account", acct.ID, "contact", other.ID, string(field), value)
	return nil
}

// onRevoke marks the revoking user's account revoked and drops its tokens,
// unless the account was connected again after the revocation arrived: a
// late or replayed revocation must not undo a newer authorization.
func (s *server) onRevoke(ctx context.Context, d *accountactivity.Delivery, e *accountactivity.RevokeEvent) error {
	current, err := s.store.AccountByXUserID(ctx, e.UserID)
	if errors.Is(err, store.ErrNotFound) {
		s.log.Info("revocation for an X user no merchant connected", "x_user", e.UserID, "app", e.AppID)
		return nil
	}
	if err != nil {
		return fmt.Errorf("load account of X user %s: %w", e.UserID, err)
	}
	if received := receivedAt(ctx); current.UpdatedAt.After(received) {
		s.log.Info("revocation older than the account's last connection; ignored",
			"account", current.ID, "x_user", e.UserID, "revoked_at", e.RevokedAt)
		return nil
	}
	acct, err := s.store.RevokeAccount(ctx, e.UserID)
	if err != nil {
		return fmt.Errorf("revoke account of X user %s: %w", e.UserID, err)
	}
	s.log.Warn("account revoked by its X user; tokens deleted", "account", acct.ID, "merchant", acct.MerchantID, "x_user", e.UserID)
	return nil
}
