package xtest

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"
)

// Clock is a clock that a test moves by hand. Servers created with
// WithManualClock read their time from it, and Advance runs their
// background work, such as delivery retries, delayed deliveries and
// periodic CRC checks, at the moment each one falls due. Tests therefore
// step through hours of X's schedules in milliseconds and see the exact
// time of every attempt.
//
// Create one with NewClock; the zero value is not usable. A Clock is safe
// for concurrent use, and one Clock may drive several servers and other
// components that take a func() time.Time, such as Clock.Now.
type Clock struct {
	mu      sync.Mutex
	now     time.Time
	servers []*Server

	advancing sync.Mutex // serializes Advance
}

// NewClock returns a clock set to start. It moves only when advanced.
func NewClock(start time.Time) *Clock {
	return &Clock{now: start}
}

// Now returns the clock's current time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d. On the way it stops at each moment
// when work of a server using the clock falls due, sets the clock to that
// moment and runs the work before going on, in the order of the due times.
// The work runs on the calling goroutine, so deliveries and CRC checks
// have their responses before Advance returns. Work that a run schedules
// within the advanced span runs too.
//
// Advance panics when d is negative. It must not be called from a webhook
// handler while the server waits for that handler in Advance or RunDue,
// because the calls wait for each other.
func (c *Clock) Advance(d time.Duration) {
	if d < 0 {
		panic("xtest: Clock.Advance with a negative duration")
	}
	c.advancing.Lock()
	defer c.advancing.Unlock()
	target := c.Now().Add(d)
	for {
		s, due, ok := c.nextDue(target)
		if !ok {
			break
		}
		c.mu.Lock()
		if due.After(c.now) {
			c.now = due
		}
		now := c.now
		c.mu.Unlock()
		s.engine.sched.runDue(now)
	}
	c.mu.Lock()
	c.now = target
	c.mu.Unlock()
}

// nextDue returns the server whose earliest pending work is the earliest
// of all attached servers, if that work is due by target.
func (c *Clock) nextDue(target time.Time) (*Server, time.Time, bool) {
	c.mu.Lock()
	servers := slices.Clone(c.servers)
	c.mu.Unlock()
	var (
		first *Server
		due   time.Time
	)
	for _, s := range servers {
		t, ok := s.engine.sched.next()
		if ok && !t.After(target) && (first == nil || t.Before(due)) {
			first, due = s, t
		}
	}
	return first, due, first != nil
}

func (c *Clock) attach(s *Server) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.servers = append(c.servers, s)
}

func (c *Clock) detach(s *Server) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.servers = slices.DeleteFunc(c.servers, func(o *Server) bool { return o == s })
}

// WithManualClock makes the server read its time from c, as WithClock(c.Now)
// does, and run its background work whenever c.Advance passes the moment the
// work is due. Close detaches the server from c.
func WithManualClock(c *Clock) Option {
	if c == nil {
		panic("xtest: clock must not be nil")
	}
	return func(s *Server) {
		s.now = c.Now
		s.engine.mode = clockManual
		s.engine.manual = c
	}
}

// clockMode is where a server's time comes from, which decides what runs
// its background work.
type clockMode int

const (
	// clockReal is time.Now. Timers run the work when it falls due.
	clockReal clockMode = iota
	// clockFunc is a function set with WithClock. The server cannot tell
	// when that time moves, so the work runs only in RunDue.
	clockFunc
	// clockManual is a Clock. Its Advance runs the work.
	clockManual
)

// maxPendingTasks bounds the background work a server keeps. Work
// scheduled beyond it is dropped, as a retry that X gave up on.
const maxPendingTasks = 10000

// task is one piece of background work and the time it falls due.
type task struct {
	due time.Time
	seq uint64 // orders tasks that fall due at the same time
	run func(ctx context.Context)
}

// scheduler keeps a server's background work in the order it falls due and
// runs it on one goroutine at a time.
type scheduler struct {
	ctx      context.Context // canceled when the server closes
	realTime bool            // whether a timer runs due work

	mu     sync.Mutex
	tasks  []*task // sorted by due, then seq
	seq    uint64
	timer  *time.Timer
	closed bool
	now    func() time.Time

	running  sync.Mutex // held while work runs
	inflight sync.WaitGroup
}

// add schedules run at due and reports whether it was kept: a closed
// scheduler and a full one drop it.
func (sc *scheduler) add(due time.Time, run func(ctx context.Context)) bool {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.closed || len(sc.tasks) >= maxPendingTasks {
		return false
	}
	sc.seq++
	t := &task{due: due, seq: sc.seq, run: run}
	i, _ := slices.BinarySearchFunc(sc.tasks, t, func(a, b *task) int {
		if c := a.due.Compare(b.due); c != 0 {
			return c
		}
		return cmp.Compare(a.seq, b.seq)
	})
	sc.tasks = slices.Insert(sc.tasks, i, t)
	sc.armLocked()
	return true
}

// next returns when the earliest pending work falls due.
func (sc *scheduler) next() (time.Time, bool) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.closed || len(sc.tasks) == 0 {
		return time.Time{}, false
	}
	return sc.tasks[0].due, true
}

// pending returns the number of tasks not yet run.
func (sc *scheduler) pending() int {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return len(sc.tasks)
}

// runDue runs, one after another, every task due at or before now,
// including tasks that the runs schedule at or before now, and returns how
// many ran.
func (sc *scheduler) runDue(now time.Time) int {
	return sc.runDueWith(sc.ctx, now)
}

// runDueWith is runDue with ctx for the work in place of the server's.
func (sc *scheduler) runDueWith(ctx context.Context, now time.Time) int {
	sc.running.Lock()
	defer sc.running.Unlock()
	n := 0
	for {
		t := sc.popDue(now)
		if t == nil {
			return n
		}
		t.run(ctx)
		sc.inflight.Done()
		n++
	}
}

// popDue removes and returns the earliest task if it is due at now, and
// counts it in flight until its run ends.
func (sc *scheduler) popDue(now time.Time) *task {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.closed || len(sc.tasks) == 0 || sc.tasks[0].due.After(now) {
		return nil
	}
	t := sc.tasks[0]
	sc.tasks = slices.Delete(sc.tasks, 0, 1)
	sc.inflight.Add(1)
	return t
}

// armLocked sets the timer of a real-time scheduler to fire when the
// earliest task falls due. The caller holds sc.mu.
func (sc *scheduler) armLocked() {
	if !sc.realTime || sc.closed || len(sc.tasks) == 0 {
		return
	}
	wait := sc.tasks[0].due.Sub(sc.now())
	if sc.timer == nil {
		sc.timer = time.AfterFunc(wait, sc.fire)
		return
	}
	sc.timer.Reset(wait)
}

// fire runs the due work of a real-time scheduler and sets the timer for
// the next.
func (sc *scheduler) fire() {
	sc.runDue(sc.now())
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sc.armLocked()
}

// close drops the pending work, stops the timer and waits until the work
// that is running has returned.
func (sc *scheduler) close() {
	sc.mu.Lock()
	sc.closed = true
	sc.tasks = nil
	if sc.timer != nil {
		sc.timer.Stop()
	}
	sc.mu.Unlock()
	sc.inflight.Wait()
}
