package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"time"

	"golang.org/x/time/rate"

	"github.com/goodgo/xactivity/accountactivity"
	"github.com/goodgo/xactivity/store"
)

// Inbox processing parameters.
const (
	claimBatch       = 32               // rows claimed at once when unpaced
	idlePoll         = time.Second      // how often an idle worker looks for rows
	maxEventAttempts = 10               // attempts before a row is marked failed
	maxRetryDelay    = 5 * time.Minute  // cap of the exponential retry delay
	defaultLease     = 30 * time.Second // how long a claim lasts before another worker may take the row
)

// worker processes the inbox: it claims stored events, decodes their
// delivery, applies the event to the store and marks the row done. Rows
// claimed by a worker that crashed are claimed again when their lease
// expires; every effect is idempotent (messages by X's event id, contacts
// by event time), so processing a row twice stores nothing twice.
type worker struct {
	s       *server
	owner   string
	lease   time.Duration
	limiter *rate.Limiter // nil when processing is unpaced
	// sleep waits for the limiter: sleepContext, or in tests a function
	// that moves a simulated clock. The limiter reads the time only from
	// the server's clock s.now.
	sleep  func(ctx context.Context, d time.Duration) error
	wakeCh chan struct{}

	dispatcher *accountactivity.Dispatcher
}

func newWorker(s *server) *worker {
	w := &worker{
		s:      s,
		owner:  "mktx-" + randomHex(6),
		lease:  s.settings.InboxLease,
		sleep:  sleepContext,
		wakeCh: make(chan struct{}, 1),

		dispatcher: s.newDispatcher(),
	}
	if w.lease <= 0 {
		w.lease = defaultLease
	}
	if n := s.settings.EventsPerMinute; n > 0 {
		w.limiter = rate.NewLimiter(rate.Limit(float64(n)/60), 1)
	}
	return w
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// wake signals the worker that new rows were stored.
func (w *worker) wake() {
	select {
	case w.wakeCh <- struct{}{}:
	default:
	}
}

// run processes rows until ctx is cancelled.
func (w *worker) run(ctx context.Context) {
	w.s.log.Info("inbox worker started", "owner", w.owner, "paced_per_minute", w.s.settings.EventsPerMinute)
	defer w.s.log.Info("inbox worker stopped", "owner", w.owner)
	ticker := time.NewTicker(idlePoll)
	defer ticker.Stop()
	for {
		n, err := w.processBatch(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			w.s.log.Error("inbox processing failed", "err", err)
		}
		if n > 0 && err == nil {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-w.wakeCh:
		case <-ticker.C:
		}
	}
}

// drain processes rows until none is claimable, for tests and tools.
func (w *worker) drain(ctx context.Context) error {
	for {
		n, err := w.processBatch(ctx)
		if err != nil || n == 0 {
			return err
		}
	}
}

// processBatch claims and processes one batch and returns how many rows it
// claimed. When processing is paced it claims one row per allowed event,
// so that a stopped process holds at most one claim. Rows already claimed
// are processed to the end even when ctx is cancelled meanwhile: shutdown
// stops claiming, not the work in hand, within the shutdown timeout.
func (w *worker) processBatch(ctx context.Context) (int, error) {
	limit := claimBatch
	if w.limiter != nil {
		if err := w.pace(ctx); err != nil {
			return 0, err
		}
		limit = 1
	}
	items, err := w.s.store.Claim(ctx, w.owner, limit, w.lease)
	if err != nil {
		return 0, err
	}
	work, cancel := context.WithTimeout(context.WithoutCancel(ctx), w.lease)
	defer cancel()
	deliveries := make(map[int64]*decodedDelivery)
	for _, item := range items {
		d, ok := deliveries[item.DeliveryID]
		if !ok {
			d = decodeStored(item.Body)
			deliveries[item.DeliveryID] = d
		}
		w.finish(work, item, w.process(work, item, d))
	}
	return len(items), nil
}

// pace waits until the limiter allows one more event, by the server's
// clock. When ctx is done first, it gives the event back to the limiter and
// returns ctx.Err().
func (w *worker) pace(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	now := w.s.now()
	r := w.limiter.ReserveN(now, 1)
	delay := r.DelayFrom(now)
	if delay <= 0 {
		return nil
	}
	if err := w.sleep(ctx, delay); err != nil {
		r.CancelAt(w.s.now())
		return err
	}
	return nil
}

// sleepContext waits d or until ctx is done, and then returns ctx.Err().
func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// decodedDelivery is a stored body decoded once per batch, with its events
// and decoding errors indexed by inbox key.
type decodedDelivery struct {
	delivery *accountactivity.Delivery // nil when the body is not a JSON object
	events   map[string]accountactivity.Event
	errors   map[string]*accountactivity.EventError
	err      error // the decoding error, when delivery is nil
}

func decodeStored(body []byte) *decodedDelivery {
	d, err := accountactivity.Decode(body)
	out := &decodedDelivery{delivery: d, err: err}
	if d == nil {
		return out
	}
	out.events = make(map[string]accountactivity.Event, len(d.Events))
	for _, e := range d.Events {
		out.events[accountactivity.Key(d, e)] = e
	}
	out.errors = make(map[string]*accountactivity.EventError, len(d.Errors))
	for _, e := range d.Errors {
		out.errors[errorKey(d.ForUserID, e.Raw)] = e
	}
	return out
}

// errPermanent marks processing errors that no retry can fix.
var errPermanent = errors.New("permanent")

// finish records the outcome of one row under the item's lease. When
// another worker took the row over after this worker's lease expired, the
// store refuses the call and the row is left to that worker.
func (w *worker) finish(ctx context.Context, item store.InboxItem, err error) {
	if err == nil {
		w.logSettleError(item, "marking an inbox event done failed", w.s.store.Complete(ctx, item.Lease))
		w.s.metrics.eventsProcessed.WithLabelValues("done").Inc()
		w.s.metrics.observeLag(item.ReceivedAt, w.s.now())
		return
	}
	final := errors.Is(err, errPermanent) || errors.Is(err, store.ErrInvalid) ||
		errors.Is(err, store.ErrNotFound) || item.Attempts >= maxEventAttempts
	if final {
		w.s.metrics.eventsProcessed.WithLabelValues("failed").Inc()
		w.s.metrics.observeLag(item.ReceivedAt, w.s.now())
	} else {
		w.s.metrics.eventsProcessed.WithLabelValues("retry").Inc()
	}
	delay := min(maxRetryDelay, time.Second<<min(item.Attempts, 16))
	w.s.log.Error("processing an inbox event failed", "event", item.Key, "kind", item.Kind,
		"account", item.ForUserID, "attempt", item.Attempts, "final", final, "err", err)
	err = w.s.store.Fail(ctx, item.Lease, err.Error(), w.s.now().Add(delay), final)
	w.logSettleError(item, "recording an inbox failure failed", err)
}

// logSettleError logs the error of a call that settled the item, if any.
func (w *worker) logSettleError(item store.InboxItem, failure string, err error) {
	switch {
	case err == nil:
	case errors.Is(err, store.ErrNotClaimed):
		w.s.log.Warn("inbox event was taken over by another worker", "event", item.Key,
			"owner", item.Lease.Owner, "attempt", item.Attempts, "err", err)
	default:
		w.s.log.Error(failure, "event", item.Key, "err", err)
	}
}
