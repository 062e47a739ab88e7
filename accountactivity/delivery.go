package accountactivity

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Delivery is one decoded webhook body: its events in body order, the
// events that failed to decode, and the body's users and apps maps.
//
// A Delivery references the body passed to Decode: Raw of every event and
// error, the envelope's Payload and Includes, and the users and apps maps
// read by User and App are subslices of it. The body must not be modified
// while the Delivery is in use. A Delivery is not modified after Decode
// returns it, so concurrent reads are safe.
type Delivery struct {
	// ForUserID is the subscribed user that the events belong to:
	// for_user_id of an AAA body, filter.user_id of an XAA envelope. It is
	// empty for revocations and replay job notices, which carry no user.
	ForUserID string
	// UserHasBlocked is user_has_blocked, sent as a boolean or as the
	// string "true" or "false" beside some tweet_create_events.
	UserHasBlocked bool
	// Envelope is the XAA envelope, or nil for an AAA body.
	Envelope *Envelope
	// Events are the decoded events in body order.
	Events []Event
	// Errors are the entries that could not be decoded. Each failed event
	// also takes a position in body order, given by EventError.Index.
	Errors []*EventError

	users  json.RawMessage
	apps   json.RawMessage
	inline [1]Event // backs Events for the common single-event delivery
}

// EventError is an entry of a delivery that could not be decoded: an event
// with a value of the wrong type, or a top-level member such as for_user_id
// with one. The rest of the delivery is decoded as usual.
type EventError struct {
	// Kind is the kind that the entry's key implies. It is empty for a
	// top-level member that is not an event.
	Kind Kind
	// Index is the entry's position among the delivery's events in body
	// order, counting failed events. It is -1 for a member that is not an
	// event.
	Index int
	// Raw is the entry's JSON, a subslice of the body.
	Raw json.RawMessage
	// Err describes the problem, with the path to the offending value.
	Err error
}

func (e *EventError) Error() string {
	if e.Index < 0 {
		return "accountactivity: " + e.Err.Error()
	}
	return fmt.Sprintf("accountactivity: decode %s event %d: %v", e.Kind, e.Index, e.Err)
}

// Unwrap returns Err.
func (e *EventError) Unwrap() error { return e.Err }

// Decode decodes one webhook body, AAA or XAA, into its events.
//
// Decode returns an error only when the body is not a single valid JSON
// object, or when it is an XAA envelope (a top-level "data" member) whose
// data is not an object with a string event_type. An event with a value of
// the wrong type becomes an entry of Delivery.Errors, and the other events
// are still returned. Unknown top-level keys become UnknownEvent values.
//
// The Delivery references body; see Delivery.
func Decode(body []byte) (*Delivery, error) {
	d := new(Delivery)
	d.Events = d.inline[:0]
	p := bodyDecoder{r: reader{buf: body}, d: d}
	if c := p.r.peek(); c != '{' {
		return nil, errors.New("accountactivity: invalid delivery body: not a JSON object")
	}
	p.r.object(func(key []byte) { p.member(key, true) })
	if p.r.err == nil && !p.r.atEnd() {
		p.r.syntax("unexpected data after the top-level object")
	}
	if p.r.err != nil {
		return nil, fmt.Errorf("accountactivity: invalid delivery body: %w", p.r.err)
	}
	if p.data != nil {
		if err := p.envelope(); err != nil {
			// A data member that is not a usable envelope leaves the body's
			// other members decoded and is reported like a bad event, so
			// that a receiver still stores the delivery.
			d.Errors = append(d.Errors, &EventError{Index: -1, Raw: p.data, Err: err})
		}
	}
	return d, nil
}

// bodyDecoder fills a Delivery from an AAA body or from an XAA payload of
// the AAA shape.
type bodyDecoder struct {
	r    reader
	d    *Delivery
	next int    // body-order position of the next event
	data []byte // the XAA envelope's data member, when the body has one
}

// member decodes one top-level member. top is false inside an XAA payload,
// where "data" has no special meaning.
func (p *bodyDecoder) member(key []byte, top bool) {
	r, d := &p.r, p.d
	switch string(key) {
	case "for_user_id":
		p.metadata("for_user_id", func() { r.id(&d.ForUserID) })
	case "user_has_blocked":
		p.metadata("user_has_blocked", func() { r.boolean(&d.UserHasBlocked) })
	case "users":
		p.metadata("users", func() { d.users = r.objectValue() })
	case "apps":
		p.metadata("apps", func() { d.apps = r.objectValue() })
	case "data":
		if top {
			p.data = r.rawValue()
			return
		}
		p.unknown(key)
	default:
		if spec := eventKeys[string(key)]; spec != nil {
			p.events(spec)
			return
		}
		p.unknown(key)
	}
}

// metadata runs decode for a top-level member that is not an event and
// turns its type error into an entry of Delivery.Errors.
func (p *bodyDecoder) metadata(name string, decode func()) {
	start := p.r.start()
	decode()
	if p.r.err != nil || p.r.typeErr == nil {
		return
	}
	p.r.typeErr.prepend(name)
	err := &EventError{Index: -1, Raw: p.r.buf[start:p.r.pos], Err: p.r.typeErr}
	p.d.Errors = append(p.d.Errors, err)
	p.r.typeErr = nil
}

// events decodes the value of an event key: an array of events, or a
// single event object as user_event and replay_job_status carry.
func (p *bodyDecoder) events(spec *eventSpec) {
	r := &p.r
	switch r.peek() {
	case '[':
		r.array(func(int) { p.event(spec) })
	case '{':
		p.event(spec)
	case 'n':
		r.literal("null")
	default:
		start := r.start()
		r.mismatch("an array of events")
		p.add(nil, spec.kind, r.buf[start:r.pos], false)
	}
}

// event decodes one event object. A null element is skipped.
func (p *bodyDecoder) event(spec *eventSpec) {
	r := &p.r
	if r.peek() == 'n' {
		r.literal("null")
		return
	}
	start := r.start()
	e := spec.decode(r, spec)
	p.add(e, spec.kind, r.buf[start:r.pos], false)
}

// add appends e to the delivery's events, or records the reader's type
// error for it.
func (p *bodyDecoder) add(e Event, kind Kind, raw []byte, payload bool) {
	if p.r.err != nil {
		return
	}
	if p.r.typeErr != nil {
		err := &EventError{Kind: kind, Index: p.next, Raw: raw, Err: p.r.typeErr}
		p.d.Errors = append(p.d.Errors, err)
		p.r.typeErr = nil
	} else {
		c := e.common()
		c.raw, c.payload = raw, payload
		p.d.Events = append(p.d.Events, e)
	}
	p.next++
}

// unknown turns the value of an unknown key into UnknownEvent values: one
// per element of an array, else one for the whole value.
func (p *bodyDecoder) unknown(key []byte) {
	r := &p.r
	name := string(key)
	one := func() {
		start := r.start()
		r.skip()
		p.add(&UnknownEvent{Key: name}, KindUnknown, r.buf[start:r.pos], false)
	}
	if r.peek() == '[' {
		r.array(func(int) { one() })
		return
	}
	one()
}

// start skips white space and returns the offset of the next value.
func (r *reader) start() int {
	r.peek()
	return r.pos
}

// objectValue returns the raw bytes of an object or null.
func (r *reader) objectValue() json.RawMessage {
	if c := r.peek(); c != '{' && c != 'n' {
		r.mismatch("an object")
		return nil
	}
	return r.rawValue()
}

// User returns the entry for id in the delivery's users map, decoded. It
// reports false when the map has no such entry or the entry does not
// decode. XAA deliveries wrap users as {"data": {...}} with v2 field names,
// and User unwraps them into the same fields. Each call decodes the entry anew.
func (d *Delivery) User(id string) (User, bool) {
	var u User
	if !lookup(d.users, id, func(r *reader) { decodeUser(r, &u) }) {
		return User{}, false
	}
	if u.ID == "" {
		u.ID = id
	}
	return u, true
}

// App returns the entry for id in the delivery's apps map, decoded. It
// reports false when the map has no such entry or the entry does not
// decode.
func (d *Delivery) App(id string) (App, bool) {
	var a App
	if !lookup(d.apps, id, func(r *reader) { decodeApp(r, &a) }) {
		return App{}, false
	}
	if a.ID == "" {
		a.ID = id
	}
	return a, true
}

// lookup finds the member key of the JSON object obj and decodes its value.
// It reports whether the member exists and decoded without a type error.
func lookup(obj []byte, key string, decode func(*reader)) bool {
	var value []byte
	r := reader{buf: obj}
	r.object(func(k []byte) {
		if string(k) == key {
			value = r.rawValue()
			return
		}
		r.skip()
	})
	if value == nil || r.err != nil || r.typeErr != nil {
		return false
	}
	vr := reader{buf: value}
	decode(&vr)
	return vr.err == nil && vr.typeErr == nil
}

// Kinds returns the kinds of the decoded events in body order, for logs.
func (d *Delivery) Kinds() []Kind {
	kinds := make([]Kind, len(d.Events))
	for i, e := range d.Events {
		kinds[i] = e.Kind()
	}
	return kinds
}
