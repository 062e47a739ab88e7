package xtest

import (
	"context"
	"crypto/x509"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultDeliveryTimeout is how long the server waits for a webhook's
// response to a delivery unless WithDeliveryTimeout sets another limit. X
// documents it for the tiers whose retries it documents: a response that
// takes longer than 3 seconds counts as failed and is retried. X's v2 pages
// ask for a response within 10 seconds but document no retries.
const DefaultDeliveryTimeout = 3 * time.Second

// DefaultRetrySchedule returns the waits between the attempts of a
// delivery that X documents for its Account Activity tiers with retries.
// After a failed first attempt, X retries 3 seconds later, then 27 seconds
// later and then 242 seconds later. Each wait runs from the start of the
// previous attempt, so the last attempt starts 272 seconds after the first.
//
// NOTE: X documents this schedule only for the legacy Premium and
// Enterprise tiers, and nothing about retries on v2.
func DefaultRetrySchedule() []time.Duration {
	return []time.Duration{3 * time.Second, 27 * time.Second, 242 * time.Second}
}

// engine is the state of a server's background work: delivery retries,
// delayed and held deliveries, periodic CRC checks and injected faults.
type engine struct {
	mode   clockMode
	manual *Clock // set in clockManual mode
	sched  *scheduler

	timeout     time.Duration   // delivery timeout, in real time
	retries     []time.Duration // waits between attempts
	crcInterval time.Duration   // 0 disables periodic CRC checks
	rootCAs     *x509.CertPool  // nil means the system's roots
	skew        atomic.Int64    // X's clock minus the server's clock, in nanoseconds

	mu        sync.Mutex
	delivered chan struct{}             // closed and replaced at each recorded delivery
	faults    map[string]*webhookFaults // by webhook id
	crcPassed map[string]time.Time      // latest passed CRC check by webhook id
	checks    []CRCCheck
	shuffles  uint64 // seeds ReleaseShuffled

	api apiFaults
}

func newEngine() *engine {
	return &engine{
		timeout:     DefaultDeliveryTimeout,
		retries:     DefaultRetrySchedule(),
		crcInterval: DefaultCRCInterval,
		delivered:   make(chan struct{}),
		faults:      make(map[string]*webhookFaults),
		crcPassed:   make(map[string]time.Time),
	}
}

// start prepares the background work of s once its options are applied:
// it attaches s to its manual clock and schedules the first periodic CRC
// check.
func (e *engine) start(s *Server) {
	e.sched = &scheduler{ctx: s.hooks.stop, realTime: e.mode == clockReal, now: s.now}
	s.useTLSDialer()
	if e.crcInterval > 0 {
		s.scheduleCRCSweep(s.now().Add(e.crcInterval))
	}
	if e.manual != nil {
		e.manual.attach(s)
	}
}

// close detaches s from its manual clock, drops pending work and waits for
// running work to return.
func (e *engine) close(s *Server) {
	if e.manual != nil {
		e.manual.detach(s)
	}
	e.sched.close()
}

// WithDeliveryTimeout sets how long the server waits for a webhook's
// response to a delivery, in real time, before it counts the attempt as
// failed and schedules a retry. The default is DefaultDeliveryTimeout, 3
// seconds. Replays use the same limit. New panics when d is not positive.
func WithDeliveryTimeout(d time.Duration) Option {
	if d <= 0 {
		panic("xtest: delivery timeout must be positive")
	}
	return func(s *Server) { s.engine.timeout = d }
}

// WithRetrySchedule sets the waits between the attempts of a delivery that
// failed: waits[0] from the start of the first attempt to the first retry,
// waits[1] from the first retry to the second, and so on, so a delivery is
// sent at most len(waits)+1 times. An empty schedule turns retries off. The
// default is DefaultRetrySchedule. New panics when a wait is not positive.
func WithRetrySchedule(waits []time.Duration) Option {
	for _, d := range waits {
		if d <= 0 {
			panic(fmt.Sprintf("xtest: retry wait %v must be positive", d))
		}
	}
	waits = append([]time.Duration(nil), waits...)
	return func(s *Server) { s.engine.retries = waits }
}

// RunDue runs the server's background work that is due by its clock:
// delivery retries, delayed deliveries and periodic CRC checks, in the
// order they fall due, including work that those runs schedule for times
// already passed. It returns how many pieces of work ran.
//
// A server on the real clock runs its work with timers, and one on a Clock
// from WithManualClock runs it in Clock.Advance. A server whose clock was
// set with WithClock cannot tell when that clock moves, so a test moves it
// and then calls RunDue. Each piece of work then reads the clock's current
// time rather than its due time. NextDue returns when the next piece falls
// due.
//
// Deliveries and CRC checks are sent with ctx, which also ends when the
// server closes. RunDue is safe for concurrent use: runs take turns.
func (s *Server) RunDue(ctx context.Context) int {
	return s.engine.sched.runDueCtx(ctx, s.now())
}

// NextDue returns when the earliest pending background work falls due,
// and false when there is none.
func (s *Server) NextDue() (time.Time, bool) {
	return s.engine.sched.next()
}

// runDueCtx is runDue with work that also ends when ctx does.
func (sc *scheduler) runDueCtx(ctx context.Context, now time.Time) int {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(sc.ctx, cancel)
	defer stop()
	return sc.runDueWith(ctx, now)
}

// dispatch sends a first attempt of body to the webhook, applying the next
// delivery fault queued for it.
func (s *Server) dispatch(ctx context.Context, webhookID string, body []byte) (int, error) {
	f, ok := s.engine.nextFault(webhookID)
	if !ok {
		return s.attempt(ctx, webhookID, body, 1)
	}
	switch f.kind {
	case faultDrop:
		s.recordDelivery(Delivery{
			WebhookID: webhookID, Body: body, Time: s.now(), Attempt: 1, Dropped: true,
			Failure: "not sent: dropped by DropNextDelivery",
		})
		return 0, nil
	case faultDelay:
		s.engine.sched.add(s.now().Add(f.delay), func(ctx context.Context) {
			s.attempt(ctx, webhookID, body, 1)
		})
		return 0, nil
	default: // faultDuplicate
		status, err := s.attempt(ctx, webhookID, body, 1)
		for range f.copies - 1 {
			s.sendCopy(ctx, webhookID, body)
		}
		return status, err
	}
}

// attempt makes attempt number n to deliver body, records it, and
// schedules the next attempt when this one fails and the schedule allows
// another. A retry to a webhook that is gone or invalid is not made and not
// recorded, and ends the retries.
func (s *Server) attempt(ctx context.Context, webhookID string, body []byte, n int) (int, error) {
	h, secret, err := s.target(webhookID)
	if err != nil {
		return 0, err
	}
	if !h.Valid {
		if n > 1 {
			return 0, fmt.Errorf("xtest: webhook %s became invalid, so retry %d was not sent", h.ID, n-1)
		}
		return 0, s.recordInvalid(h.ID, body)
	}
	d := Delivery{WebhookID: h.ID, Body: body, Time: s.now(), Attempt: n}
	d.Status, err = s.post(ctx, h.URL, secret, body)
	if err != nil {
		d.Failure = err.Error()
	}
	s.recordDelivery(d)
	if d.Status != http.StatusOK && ctx.Err() == nil {
		s.scheduleRetry(d)
	}
	return d.Status, err
}

// scheduleRetry schedules the attempt after failed attempt d, if the retry
// schedule has one more.
func (s *Server) scheduleRetry(d Delivery) {
	waits := s.engine.retries
	if d.Attempt > len(waits) {
		return
	}
	next := d.Attempt + 1
	s.engine.sched.add(d.Time.Add(waits[d.Attempt-1]), func(ctx context.Context) {
		s.attempt(ctx, d.WebhookID, d.Body, next)
	})
}

// sendCopy sends and records a duplicate of a first attempt. Duplicates
// are not retried.
func (s *Server) sendCopy(ctx context.Context, webhookID string, body []byte) {
	h, secret, err := s.target(webhookID)
	if err != nil || !h.Valid {
		return
	}
	d := Delivery{WebhookID: h.ID, Body: body, Time: s.now(), Attempt: 1, Duplicate: true}
	d.Status, err = s.post(ctx, h.URL, secret, body)
	if err != nil {
		d.Failure = err.Error()
	}
	s.recordDelivery(d)
}

// notifyDelivery wakes the callers of WaitDeliveries.
func (e *engine) notifyDelivery() {
	e.mu.Lock()
	defer e.mu.Unlock()
	close(e.delivered)
	e.delivered = make(chan struct{})
}

// deliveredChan returns a channel that is closed at the next recorded
// delivery.
func (e *engine) deliveredChan() <-chan struct{} {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.delivered
}
