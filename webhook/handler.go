package webhook

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/goodgo/xactivity/crc"
)

// DefaultMaxBodyBytes is the largest delivery body a Handler accepts when
// MaxBodyBytes is zero: 4 MiB. X documents no limit; replays can batch many
// events into one body.
const DefaultMaxBodyBytes = 4 << 20

// Errors passed to Handler.ErrorHandler for requests rejected before they
// reach the receiver, besides the signature errors of Verify.
var (
	// ErrBodyTooLarge reports a body above the handler's limit (413).
	ErrBodyTooLarge = errors.New("webhook: request body too large")
	// ErrReadBody reports a body that could not be read completely (400).
	ErrReadBody = errors.New("webhook: reading request body failed")
	// ErrMethodNotAllowed reports a method other than GET, HEAD and POST (405).
	ErrMethodNotAllowed = errors.New("webhook: method not allowed")
	// ErrInvalidCRCToken reports a CRC check whose crc_token is missing,
	// repeated, or fails crc.ValidToken (400, with no token signed).
	ErrInvalidCRCToken = errors.New("webhook: missing or invalid crc_token")
	// ErrNoReceiver reports a Handler without a Receiver (500).
	ErrNoReceiver = errors.New("webhook: no receiver configured")
	// ErrInvalidBody is for receivers: a receiver error that wraps it gets
	// a 400 response instead of 503, telling X not to retry a body that will
	// never be accepted.
	ErrInvalidBody = errors.New("webhook: invalid delivery body")
)

// Delivery is one verified webhook request.
type Delivery struct {
	// Body is the raw request body, exactly as received and verified. The
	// receiver owns it and may keep it.
	Body       []byte
	Header     http.Header
	ReceivedAt time.Time
}

// Receiver takes verified deliveries. The Handler responds 200 to X only
// when Receive returns nil, so Receive should return only after the delivery
// is durably stored: X retries (or a replay recovers) what was not
// acknowledged. Receive runs on the request's goroutine with its context.
type Receiver interface {
	Receive(ctx context.Context, d *Delivery) error
}

// ReceiverFunc adapts a function to Receiver.
type ReceiverFunc func(ctx context.Context, d *Delivery) error

// Receive calls f(ctx, d).
func (f ReceiverFunc) Receive(ctx context.Context, d *Delivery) error { return f(ctx, d) }

// StatusError is a receiver error that chooses the HTTP status of the
// response. Statuses outside 400-599 become 503.
type StatusError struct {
	Status int
	Err    error
}

func (e *StatusError) Error() string { return fmt.Sprintf("webhook: status %d: %v", e.Status, e.Err) }

// Unwrap returns the wrapped error.
func (e *StatusError) Unwrap() error { return e.Err }

// Handler serves a webhook URL. GET and HEAD requests are CRC checks,
// handled as crc.Handler does with the first consumer secret. A missing or
// invalid crc_token is rejected with ErrInvalidCRCToken (400). POST requests
// are deliveries: the handler reads the body once within MaxBodyBytes
// (413 above it), verifies its signature over the raw bytes (401 on any
// failure, with nothing passed on), then passes it to Receiver and answers
// 200 when Receive returns nil. A receiver error is answered 400 when it
// wraps ErrInvalidBody, with its status when it is a *StatusError, and 503
// otherwise, so X retries what was not stored. Other methods get 405.
//
// The request's Content-Type is not checked: X's value has varied (a charset
// parameter occurs) and the signature, not the header, authenticates the
// body.
//
// Set the fields before the first request and do not change them after. A
// Handler is safe for concurrent use. With no consumer secret every
// delivery is rejected with ErrNoSecret and every CRC check answered 500.
type Handler struct {
	// ConsumerSecrets are the app's consumer secrets (API key secrets). The
	// first signs CRC answers; a delivery signed with any of them is
	// accepted, so an old secret can stay during a rotation.
	ConsumerSecrets []string
	// Receiver takes verified deliveries. Required.
	Receiver Receiver
	// MaxBodyBytes limits the body size; zero means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// ErrorHandler, when set, writes the answer to every rejected request
	// and is where a service logs and counts rejections. err is one of this
	// package's sentinel errors or the receiver's error; status is the
	// status the handler chose. When nil, the handler answers with the
	// status and its standard text.
	ErrorHandler func(w http.ResponseWriter, r *http.Request, status int, err error)
	// Now returns the time recorded as Delivery.ReceivedAt; nil means
	// time.Now.
	Now func() time.Time
	// MaxInFlight, when positive, limits how many deliveries are read,
	// verified and received at once, which bounds the memory that bodies
	// in flight take (at most MaxInFlight × MaxBodyBytes). Further POST
	// requests wait for a slot, or give up when their client goes away.
	// CRC checks never wait. Zero means no limit.
	MaxInFlight int

	once     sync.Once
	verifier *Verifier
	crc      *crc.Handler
	slots    chan struct{} // nil when MaxInFlight is not positive
}

func (h *Handler) init() {
	h.verifier, _ = NewVerifier(h.ConsumerSecrets...)
	h.crc = &crc.Handler{}
	if h.MaxInFlight > 0 {
		h.slots = make(chan struct{}, h.MaxInFlight)
	}
	if len(h.ConsumerSecrets) > 0 {
		h.crc.ConsumerSecret = h.ConsumerSecrets[0]
	}
}

// ServeHTTP answers one CRC check or delivery.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.once.Do(h.init)
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		h.serveCRC(w, r)
	case http.MethodPost:
		h.serveDelivery(w, r)
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		h.reject(w, r, http.StatusMethodNotAllowed, ErrMethodNotAllowed)
	}
}

func (h *Handler) serveCRC(w http.ResponseWriter, r *http.Request) {
	if h.crc.ConsumerSecret == "" {
		h.reject(w, r, http.StatusInternalServerError, ErrNoSecret)
		return
	}
	if _, ok := crc.Token(r); !ok {
		h.reject(w, r, http.StatusBadRequest, ErrInvalidCRCToken)
		return
	}
	h.crc.ServeHTTP(w, r)
}

func (h *Handler) serveDelivery(w http.ResponseWriter, r *http.Request) {
	if h.verifier == nil {
		h.reject(w, r, http.StatusUnauthorized, ErrNoSecret)
		return
	}
	if h.Receiver == nil {
		h.reject(w, r, http.StatusInternalServerError, ErrNoReceiver)
		return
	}
	if h.slots != nil {
		select {
		case h.slots <- struct{}{}:
			defer func() { <-h.slots }()
		case <-r.Context().Done():
			return // the client is gone, so no response can reach it
		}
	}
	// A missing or malformed signature is rejected before the body is read,
	// so such requests cost no body buffer.
	signature := signatureHeader(r.Header)
	if _, err := ParseSignature(signature); err != nil {
		h.reject(w, r, http.StatusUnauthorized, err)
		return
	}
	body, err := readBody(w, r, h.maxBodyBytes())
	if err != nil {
		status := http.StatusBadRequest
		if errors.Is(err, ErrBodyTooLarge) {
			status = http.StatusRequestEntityTooLarge
		}
		h.reject(w, r, status, err)
		return
	}
	if err := h.verifier.Verify(body, signature); err != nil {
		h.reject(w, r, http.StatusUnauthorized, err)
		return
	}
	d := &Delivery{Body: body, Header: r.Header, ReceivedAt: h.now()}
	if err := h.Receiver.Receive(r.Context(), d); err != nil {
		h.reject(w, r, receiverStatus(err), err)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// signatureHeader returns the single signature header value, or a value
// that fails parsing when the header is repeated.
func signatureHeader(header http.Header) string {
	values := header.Values(SignatureHeader)
	switch len(values) {
	case 0:
		return ""
	case 1:
		return values[0]
	default:
		return "repeated"
	}
}

func receiverStatus(err error) int {
	if errors.Is(err, ErrInvalidBody) {
		return http.StatusBadRequest
	}
	var se *StatusError
	if errors.As(err, &se) && se.Status >= 400 && se.Status <= 599 {
		return se.Status
	}
	return http.StatusServiceUnavailable
}

func (h *Handler) reject(w http.ResponseWriter, r *http.Request, status int, err error) {
	if h.ErrorHandler != nil {
		h.ErrorHandler(w, r, status, err)
		return
	}
	http.Error(w, http.StatusText(status), status)
}

func (h *Handler) maxBodyBytes() int64 {
	if h.MaxBodyBytes > 0 {
		return h.MaxBodyBytes
	}
	return DefaultMaxBodyBytes
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

// initialBodyBuffer caps the buffer allocated before any body byte arrives,
// so a client that announces a large Content-Length and sends nothing
// costs little memory.
const initialBodyBuffer = 64 << 10

// readBody reads the whole body, failing with ErrBodyTooLarge as soon as it
// is known to exceed limit bytes.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if r.ContentLength > limit {
		return nil, ErrBodyTooLarge
	}
	size := int64(512)
	if r.ContentLength >= 0 {
		size = min(r.ContentLength+1, initialBodyBuffer) // +1: room to see EOF without growing
	}
	buf := make([]byte, 0, size)
	reader := http.MaxBytesReader(w, r.Body, limit)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := reader.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				return nil, ErrBodyTooLarge
			}
			return nil, fmt.Errorf("%w: %w", ErrReadBody, err)
		}
	}
}
