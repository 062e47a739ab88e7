package xtest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"
)

// faultKind is the effect of a queued delivery fault on one delivery.
type faultKind int

const (
	faultDrop faultKind = iota
	faultDelay
	faultDuplicate
)

// deliveryFault is one queued fault: it applies to the next first attempt
// of a delivery to its webhook.
type deliveryFault struct {
	kind   faultKind
	delay  time.Duration // faultDelay
	copies int           // faultDuplicate: copies sent in all
}

// webhookFaults are the faults injected into the deliveries to one webhook.
type webhookFaults struct {
	queue   []deliveryFault
	holding bool
	held    [][]byte // bodies held while holding, in arrival order
}

// ReleaseOrder is the order in which ReleaseDeliveries sends held
// deliveries.
type ReleaseOrder int

const (
	// ReleaseInOrder sends held deliveries in the order they arrived.
	ReleaseInOrder ReleaseOrder = iota
	// ReleaseReversed sends the newest held delivery first.
	ReleaseReversed
	// ReleaseShuffled sends held deliveries in a pseudo-random order that,
	// for two or more of them, always differs from the arrival order. The
	// order is the same in every run of a test, because each server seeds
	// its shuffles with a counter of its own.
	ReleaseShuffled
)

// DropNextDelivery makes the server drop the next delivery to the webhook
// with the given id, as when a delivery is lost between X and the webhook.
// Deliveries records it with Dropped set and Status 0. Nothing is sent or
// retried, and Deliver returns 0 and a nil error. A replay of its time range
// sends it. DropNextDelivery returns an error when no such webhook exists.
//
// The delivery faults, DropNextDelivery, DelayNextDelivery and
// DuplicateNextDelivery, queue up per webhook: each call applies to one
// more delivery, in the order of the calls. They apply to Deliver and to
// the deliveries of DeliverDM and of DMs sent through the API, not to
// retries or replays. All are safe for concurrent use.
func (s *Server) DropNextDelivery(webhookID string) error {
	return s.queueFault(webhookID, deliveryFault{kind: faultDrop})
}

// DelayNextDelivery makes the server send the next delivery to the webhook
// with the given id d later by the server's clock, in the background, and
// Deliver returns 0 and a nil error at once. Deliveries made in the
// meantime arrive first. The delayed delivery is recorded when it is sent
// and is retried like any other. It returns an error when no such webhook
// exists, and panics when d is not positive.
func (s *Server) DelayNextDelivery(webhookID string, d time.Duration) error {
	if d <= 0 {
		panic("xtest: delivery delay must be positive")
	}
	return s.queueFault(webhookID, deliveryFault{kind: faultDelay, delay: d})
}

// DuplicateNextDelivery makes the server send the next delivery to the
// webhook with the given id copies times in a row, as X may deliver an
// event more than once. Deliver returns the status of the first copy, and
// only the first copy is retried when it fails. The other copies are
// recorded with Duplicate set. It returns an error when no such webhook
// exists, and panics when copies is less than 2.
func (s *Server) DuplicateNextDelivery(webhookID string, copies int) error {
	if copies < 2 {
		panic(fmt.Sprintf("xtest: %d copies of a delivery, want 2 or more", copies))
	}
	return s.queueFault(webhookID, deliveryFault{kind: faultDuplicate, copies: copies})
}

// HoldDeliveries makes the server keep the deliveries to the webhook with
// the given id instead of sending them, until ReleaseDeliveries sends them.
// Deliver returns 0 and a nil error for a held delivery, which Deliveries
// lists only once it is sent. Retries, replays and deliveries to an invalid
// webhook are not held. It returns an error when no such webhook exists,
// and is safe for concurrent use.
func (s *Server) HoldDeliveries(webhookID string) error {
	if _, _, err := s.target(webhookID); err != nil {
		return err
	}
	s.engine.mu.Lock()
	defer s.engine.mu.Unlock()
	s.engine.faultsOf(webhookID).holding = true
	return nil
}

// ReleaseDeliveries stops holding the deliveries to the webhook with the
// given id and sends the held ones in the given order, one after another,
// before it returns. Each is a first attempt made then: queued delivery
// faults apply, and failures are retried. It returns how many deliveries it
// released and the errors of those that failed to send. Releasing a webhook
// that holds nothing returns 0 and nil. It is safe for concurrent use.
func (s *Server) ReleaseDeliveries(ctx context.Context, webhookID string, order ReleaseOrder) (int, error) {
	held := s.engine.release(webhookID)
	s.engine.arrange(held, order)
	var errs []error
	for _, body := range held {
		if _, err := s.dispatchHeld(ctx, webhookID, body); err != nil {
			errs = append(errs, err)
		}
	}
	return len(held), errors.Join(errs...)
}

// dispatchHeld sends a released delivery as Deliver would have.
func (s *Server) dispatchHeld(ctx context.Context, webhookID string, body []byte) (int, error) {
	h, _, err := s.target(webhookID)
	if err != nil {
		return 0, err
	}
	if !h.Valid {
		return 0, s.recordInvalid(h.ID, body)
	}
	return s.dispatch(ctx, h.ID, body)
}

// queueFault queues f for the next delivery to the webhook.
func (s *Server) queueFault(webhookID string, f deliveryFault) error {
	if _, _, err := s.target(webhookID); err != nil {
		return err
	}
	s.engine.mu.Lock()
	defer s.engine.mu.Unlock()
	wf := s.engine.faultsOf(webhookID)
	wf.queue = append(wf.queue, f)
	return nil
}

// faultsOf returns the faults of a webhook, creating them. The caller holds
// e.mu.
func (e *engine) faultsOf(webhookID string) *webhookFaults {
	wf := e.faults[webhookID]
	if wf == nil {
		wf = &webhookFaults{}
		e.faults[webhookID] = wf
	}
	return wf
}

// nextFault removes and returns the next fault queued for the webhook.
func (e *engine) nextFault(webhookID string) (deliveryFault, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	wf := e.faults[webhookID]
	if wf == nil || len(wf.queue) == 0 {
		return deliveryFault{}, false
	}
	f := wf.queue[0]
	wf.queue = slices.Delete(wf.queue, 0, 1)
	return f, true
}

// hold keeps body when the webhook's deliveries are held, and reports
// whether it did.
func (e *engine) hold(webhookID string, body []byte) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	wf := e.faults[webhookID]
	if wf == nil || !wf.holding {
		return false
	}
	wf.held = append(wf.held, body)
	return true
}

// release ends holding and returns the held bodies in arrival order.
func (e *engine) release(webhookID string) [][]byte {
	e.mu.Lock()
	defer e.mu.Unlock()
	wf := e.faults[webhookID]
	if wf == nil {
		return nil
	}
	held := wf.held
	wf.holding, wf.held = false, nil
	return held
}

// arrange puts held, which is in arrival order, into order.
func (e *engine) arrange(held [][]byte, order ReleaseOrder) {
	switch order {
	case ReleaseReversed:
		slices.Reverse(held)
	case ReleaseShuffled:
		if len(held) < 2 {
			return
		}
		e.mu.Lock()
		e.shuffles++
		seed := e.shuffles
		e.mu.Unlock()
		perm := rand.New(rand.NewPCG(seed, 0x5eed)).Perm(len(held))
		if slices.IsSorted(perm) {
			// The arrival order came out; swap the first two so the order
			// always changes.
			perm[0], perm[1] = perm[1], perm[0]
		}
		shuffled := make([][]byte, len(held))
		for i, j := range perm {
			shuffled[i] = held[j]
		}
		copy(held, shuffled)
	}
}
