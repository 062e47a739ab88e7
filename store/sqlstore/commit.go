package sqlstore

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/goodgo/xactivity/store"
)

// committer implements group commit for Enqueue. Callers append requests to
// a queue. One goroutine takes the write lock, then takes as many queued
// requests as a batch may hold and stores them in one transaction. It sends
// every caller of the batch its own result, or the batch's error. Requests
// that arrive while a batch is committing, or while another write holds the
// lock, wait in the queue and form the next batch. So the number of
// transactions per second stays bounded while throughput grows with the
// number of concurrent callers.
type committer struct {
	s          *Store
	maxBatch   int // deliveries per transaction
	batchBytes int // a batch stops growing once its bodies reach this size

	mu     sync.Mutex
	queue  []*enqueueRequest
	closed bool

	wake chan struct{} // capacity 1; signalled after the queue grows and on close
	done chan struct{} // closed when run returns

	batches atomic.Int64 // transactions attempted, for tests

	// afterQueue, when set, is called after a request joins the queue.
	// Tests use it to know that a request will be in the next batch.
	afterQueue func()
}

type enqueueRequest struct {
	ctx   context.Context
	d     store.Delivery
	reply chan enqueueReply // capacity 1 for the one reply, so sending it never blocks
}

type enqueueReply struct {
	res store.EnqueueResult
	err error
}

func newCommitter(s *Store, maxBatch, batchBytes int) *committer {
	c := &committer{
		s:          s,
		maxBatch:   maxBatch,
		batchBytes: batchBytes,
		wake:       make(chan struct{}, 1),
		done:       make(chan struct{}),
	}
	go c.run()
	return c
}

// enqueue queues d for the next batch and waits for the batch's result or
// for ctx to end.
func (c *committer) enqueue(ctx context.Context, d store.Delivery) (store.EnqueueResult, error) {
	req := &enqueueRequest{ctx: ctx, d: d, reply: make(chan enqueueReply, 1)}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return store.EnqueueResult{}, store.ErrClosed
	}
	c.queue = append(c.queue, req)
	c.mu.Unlock()
	c.signal()
	if c.afterQueue != nil {
		c.afterQueue()
	}
	select {
	case r := <-req.reply:
		return r.res, r.err
	case <-ctx.Done():
		// The committer skips the request if it has not taken it yet;
		// otherwise the delivery may still be committed.
		return store.EnqueueResult{}, ctx.Err()
	}
}

func (c *committer) signal() {
	select {
	case c.wake <- struct{}{}:
	default: // a signal is already pending
	}
}

// close stops accepting requests, then waits until every queued request has
// its reply and the goroutine has returned.
func (c *committer) close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.signal()
	<-c.done
}

func (c *committer) run() {
	defer close(c.done)
	for range c.wake {
		if closed := c.drain(); closed {
			return
		}
	}
}

// drain commits batches until the queue is empty and reports whether the
// committer is closed.
func (c *committer) drain() bool {
	for {
		// Taking the batch only after the lock lets requests gather while
		// another write transaction runs.
		unlock, _ := c.s.lockWrites(context.Background()) // fails only when the context ends
		batch, closed := c.take()
		if len(batch) == 0 {
			unlock()
			return closed
		}
		c.commit(batch)
		unlock()
	}
}

// take removes the next batch from the queue. It also reports whether the
// committer is closed.
func (c *committer) take() ([]*enqueueRequest, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, size := 0, 0
	for n < len(c.queue) && n < c.maxBatch && size < c.batchBytes {
		size += len(c.queue[n].d.Body)
		n++
	}
	batch := slices.Clone(c.queue[:n])
	c.queue = slices.Delete(c.queue, 0, n)
	return batch, c.closed
}

// commit stores the batch's deliveries in one transaction and sends each
// request its reply. A request whose context has ended gets the context's
// error and is not stored.
func (c *committer) commit(batch []*enqueueRequest) {
	var live []*enqueueRequest
	var deliveries []store.Delivery
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.reply <- enqueueReply{err: err}
			continue
		}
		live = append(live, r)
		deliveries = append(deliveries, r.d)
	}
	if len(live) == 0 {
		return
	}
	c.batches.Add(1)
	results, err := c.s.insertDeliveries(context.Background(), deliveries)
	for i, r := range live {
		if err != nil {
			r.reply <- enqueueReply{err: wrap("enqueue", err)}
			continue
		}
		r.reply <- enqueueReply{res: results[i]}
	}
}
