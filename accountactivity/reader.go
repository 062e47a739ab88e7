package accountactivity

import (
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// maxDepth is the deepest nesting of arrays and objects that the reader
// accepts. encoding/json applies the same limit.
const maxDepth = 10000

// reader is a validating cursor over one JSON document. Decoders walk the
// document once: object and array call back for each member or element, and
// the callback consumes exactly one value with a typed method or skip.
//
// Two kinds of failure are kept apart. A syntax error (err) means the bytes
// are not JSON, and the reader then stops consuming. A type error (typeErr)
// means a value is valid JSON of the wrong type. The reader then skips that
// value and goes on, so the caller can drop one event and keep the others.
type reader struct {
	buf     []byte
	pos     int
	depth   int
	err     error
	typeErr *fieldError
}

// syntaxError reports the first byte at which a body stops being JSON.
type syntaxError struct {
	offset int
	msg    string
}

func (e *syntaxError) Error() string {
	return fmt.Sprintf("%s at offset %d", e.msg, e.offset)
}

// fieldError is a type error inside an event, with the path of member names
// and array indexes that leads to the value, relative to the event.
type fieldError struct {
	path []string
	msg  string
}

func (e *fieldError) Error() string {
	var b strings.Builder
	for _, p := range e.path {
		if b.Len() > 0 && !strings.HasPrefix(p, "[") {
			b.WriteByte('.')
		}
		b.WriteString(p)
	}
	if b.Len() == 0 {
		return e.msg
	}
	return b.String() + ": " + e.msg
}

func (e *fieldError) prepend(segment string) {
	e.path = append([]string{segment}, e.path...)
}

func (r *reader) syntax(msg string) {
	if r.err == nil {
		r.err = &syntaxError{offset: r.pos, msg: msg}
	}
	r.pos = len(r.buf)
}

// typeError records msg as the type error of the current event unless an
// earlier one is already recorded.
func (r *reader) typeError(msg string) {
	if r.typeErr == nil && r.err == nil {
		r.typeErr = &fieldError{msg: msg}
	}
}

// mismatch skips the value at the cursor and records that it is not of the
// wanted type.
func (r *reader) mismatch(want string) {
	got := valueType(r.peek())
	r.skip()
	r.typeError("expected " + want + ", got " + got)
}

// valueType names the JSON type of the value that starts with c.
func valueType(c byte) string {
	switch c {
	case '"':
		return "string"
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

// peek skips white space and returns the byte at the cursor, or 0 at the end
// of the input.
func (r *reader) peek() byte {
	for r.pos < len(r.buf) {
		switch c := r.buf[r.pos]; c {
		case ' ', '\t', '\n', '\r':
			r.pos++
		default:
			return c
		}
	}
	return 0
}

// atEnd skips white space and reports whether the input is used up.
func (r *reader) atEnd() bool {
	r.peek()
	return r.pos >= len(r.buf)
}

// skip validates and consumes one value of any type.
func (r *reader) skip() {
	switch c := r.peek(); {
	case c == '"':
		r.scanString()
	case c == '{':
		r.object(func([]byte) { r.skip() })
	case c == '[':
		r.array(func(int) { r.skip() })
	case c == 't':
		r.literal("true")
	case c == 'f':
		r.literal("false")
	case c == 'n':
		r.literal("null")
	case c == '-' || '0' <= c && c <= '9':
		r.number()
	case r.atEnd():
		r.syntax("unexpected end of input")
	default:
		r.syntax(fmt.Sprintf("invalid character %q looking for a value", c))
	}
}

// rawValue consumes one value and returns its bytes.
func (r *reader) rawValue() []byte {
	r.peek()
	start := r.pos
	r.skip()
	if r.err != nil {
		return nil
	}
	return r.buf[start:r.pos]
}

func (r *reader) literal(lit string) {
	end := r.pos + len(lit)
	if end <= len(r.buf) && string(r.buf[r.pos:end]) == lit {
		r.pos = end
		return
	}
	r.syntax("invalid literal, expected " + lit)
}

// enter consumes the opening bracket of an object or array.
func (r *reader) enter() bool {
	r.depth++
	if r.depth > maxDepth {
		r.syntax("nesting exceeds the maximum depth")
		return false
	}
	r.pos++
	return true
}

// object calls fn for each member of the object at the cursor, in order,
// with the member's unescaped key. fn must consume the member's value. A
// null is an empty object; any other type is a type error.
func (r *reader) object(fn func(key []byte)) {
	switch r.peek() {
	case '{':
	case 'n':
		r.literal("null")
		return
	default:
		r.mismatch("an object")
		return
	}
	if !r.enter() {
		return
	}
	if r.peek() == '}' {
		r.pos++
		r.depth--
		return
	}
	for r.member(fn) {
	}
}

// member reads one key and value of an object and the separator after them.
// It reports whether another member follows.
func (r *reader) member(fn func(key []byte)) bool {
	if r.peek() != '"' {
		r.syntax("expected a string for an object key")
		return false
	}
	key := r.stringBytes()
	if r.peek() != ':' {
		r.syntax("expected ':' after an object key")
		return false
	}
	r.pos++
	had := r.typeErr != nil
	fn(key)
	if r.err != nil {
		return false
	}
	if !had && r.typeErr != nil {
		r.typeErr.prepend(string(key))
	}
	switch r.peek() {
	case ',':
		r.pos++
		return true
	case '}':
		r.pos++
		r.depth--
		return false
	}
	r.syntax("expected ',' or '}' after an object member")
	return false
}

// array calls fn for each element of the array at the cursor with its
// index. fn must consume the element. A null is an empty array; any other
// type is a type error.
func (r *reader) array(fn func(i int)) {
	switch r.peek() {
	case '[':
	case 'n':
		r.literal("null")
		return
	default:
		r.mismatch("an array")
		return
	}
	if !r.enter() {
		return
	}
	if r.peek() == ']' {
		r.pos++
		r.depth--
		return
	}
	for i := 0; r.element(fn, i); i++ {
	}
}

func (r *reader) element(fn func(i int), i int) bool {
	had := r.typeErr != nil
	fn(i)
	if r.err != nil {
		return false
	}
	if !had && r.typeErr != nil {
		r.typeErr.prepend(fmt.Sprintf("[%d]", i))
	}
	switch r.peek() {
	case ',':
		r.pos++
		return true
	case ']':
		r.pos++
		r.depth--
		return false
	}
	r.syntax("expected ',' or ']' after an array element")
	return false
}

// number consumes a number and reports whether it is an integer literal
// (no fraction, no exponent).
func (r *reader) number() (start int, isInt bool) {
	b, i := r.buf, r.pos
	start = i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		i = digits(b, i)
	default:
		r.pos = i
		r.syntax("invalid number")
		return start, false
	}
	isInt = true
	if i < len(b) && b[i] == '.' {
		isInt = false
		j := digits(b, i+1)
		if j == i+1 {
			r.pos = j
			r.syntax("invalid number: no digit after the decimal point")
			return start, false
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		isInt = false
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := digits(b, i)
		if j == i {
			r.pos = j
			r.syntax("invalid number: no digit in the exponent")
			return start, false
		}
		i = j
	}
	r.pos = i
	return start, isInt
}

func digits(b []byte, i int) int {
	for i < len(b) && '0' <= b[i] && b[i] <= '9' {
		i++
	}
	return i
}

// Flags that scanString returns.
const (
	strEscaped  = 1 << iota // the string contains a backslash escape
	strNonASCII             // the string contains a byte above 0x7F
)

// plainByte marks the bytes that a string scan can pass without a closer
// look: everything but '"', '\\', control characters and non-ASCII bytes.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// scanString validates the string at the cursor and returns the bounds of
// its contents, without the quotes.
func (r *reader) scanString() (start, end int, flags int) {
	b := r.buf
	i := r.pos + 1
	start = i
	for {
		for i < len(b) && plainByte[b[i]] {
			i++
		}
		if i >= len(b) {
			r.pos = i
			r.syntax("unterminated string")
			return start, start, 0
		}
		switch c := b[i]; {
		case c == '"':
			r.pos = i + 1
			return start, i, flags
		case c == '\\':
			n := escapeLen(b[i:])
			if n == 0 {
				r.pos = i
				r.syntax("invalid escape in string")
				return start, start, 0
			}
			flags |= strEscaped
			i += n
		case c < 0x20:
			r.pos = i
			r.syntax("invalid control character in string")
			return start, start, 0
		default:
			flags |= strNonASCII
			i++
		}
	}
}

// escapeLen returns the length of the escape sequence at the start of s, or
// 0 when it is not a valid JSON escape.
func escapeLen(s []byte) int {
	if len(s) < 2 {
		return 0
	}
	switch s[1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return 2
	case 'u':
		if len(s) >= 6 && isHex(s[2]) && isHex(s[3]) && isHex(s[4]) && isHex(s[5]) {
			return 6
		}
	}
	return 0
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// stringBytes consumes the string at the cursor and returns its decoded
// contents. The result aliases the input unless the string has escapes or
// invalid UTF-8.
func (r *reader) stringBytes() []byte {
	start, end, flags := r.scanString()
	s := r.buf[start:end]
	if needsUnquote(s, flags) {
		return []byte(unquote(s))
	}
	return s
}

// stringValue consumes the string at the cursor and returns a copy of its
// decoded contents.
func (r *reader) stringValue() string {
	start, end, flags := r.scanString()
	s := r.buf[start:end]
	if needsUnquote(s, flags) {
		return unquote(s)
	}
	return string(s)
}

func needsUnquote(s []byte, flags int) bool {
	return flags&strEscaped != 0 || flags&strNonASCII != 0 && !utf8.Valid(s)
}

// unquote decodes the contents of a validated JSON string the way
// encoding/json does: invalid UTF-8 and unpaired surrogate escapes become
// U+FFFD.
func unquote(s []byte) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == '\\':
			i += unescape(&b, s[i:])
		case c < utf8.RuneSelf:
			b.WriteByte(c)
			i++
		default:
			ch, size := utf8.DecodeRune(s[i:])
			b.WriteRune(ch) // an invalid byte decodes as utf8.RuneError
			i += size
		}
	}
	return b.String()
}

// unescape writes the character of the escape sequence at the start of s
// and returns the number of bytes it used.
func unescape(b *strings.Builder, s []byte) int {
	switch s[1] {
	case 'b':
		b.WriteByte('\b')
	case 'f':
		b.WriteByte('\f')
	case 'n':
		b.WriteByte('\n')
	case 'r':
		b.WriteByte('\r')
	case 't':
		b.WriteByte('\t')
	case 'u':
		ch := hex4(s[2:6])
		if !utf16.IsSurrogate(ch) {
			b.WriteRune(ch)
			return 6
		}
		if len(s) >= 12 && s[6] == '\\' && s[7] == 'u' && escapeLen(s[6:]) == 6 {
			if pair := utf16.DecodeRune(ch, hex4(s[8:12])); pair != utf8.RuneError {
				b.WriteRune(pair)
				return 12
			}
		}
		b.WriteRune(utf8.RuneError)
		return 6
	default: // '"', '\\' and '/' stand for themselves
		b.WriteByte(s[1])
	}
	return 2
}

func hex4(s []byte) rune {
	var n rune
	for _, c := range s[:4] {
		n <<= 4
		switch {
		case c <= '9':
			n |= rune(c - '0')
		case c <= 'F':
			n |= rune(c - 'A' + 10)
		default:
			n |= rune(c - 'a' + 10)
		}
	}
	return n
}
