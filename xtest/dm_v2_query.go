package xtest

import (
	"encoding/base32"
	"encoding/binary"
	"errors"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// The values X accepts in the field and expansion parameters of the DM
// lookups: those of X's OpenAPI description, version 2.167, together with
// those of its endpoint reference (docs.x.com), which names sender_id,
// participant_ids and referenced_tweets where the OpenAPI description has
// referenced_posts or nothing.
var (
	dmEventFields = []string{
		"attachments", "created_at", "dm_conversation_id", "entities", "event_type", "id",
		"participant_ids", "referenced_posts", "referenced_tweets", "sender_id", "text",
	}
	dmExpansions = []string{
		"attachments.media_keys", "participant_ids", "referenced_posts", "referenced_tweets.id", "sender_id",
	}
	userFields = []string{
		"affiliation", "confirmed_email", "connection_status", "created_at", "description",
		"entities", "id", "is_identity_verified", "location", "most_recent_post_id",
		"most_recent_tweet_id", "name", "parody", "pinned_post_id", "pinned_tweet_id",
		"profile_banner_url", "profile_image_url", "protected", "public_metrics",
		"receives_your_dm", "subscribes_to_you", "subscription", "subscription_type", "url",
		"username", "verified", "verified_followers_count", "verified_type", "withheld",
	}
	dmEventTypes = []string{"MessageCreate", "ParticipantsJoin", "ParticipantsLeave"}
)

// defaultMaxResults and maxMaxResults bound max_results of the v2 listings.
const (
	defaultMaxResults = 100
	maxMaxResults     = 100
)

// lookupQuery is the parsed field and expansion parameters of a v2 DM
// lookup.
type lookupQuery struct {
	fields     map[string]bool // dm_event.fields
	expansions map[string]bool
}

// listQuery is the parsed query of a v2 DM listing.
type listQuery struct {
	lookupQuery
	max   int
	token pageToken
	types map[string]bool // event_types; nil means all
}

// parseLookupQuery parses dm_event.fields, expansions and user.fields. The
// media, tweet and post field parameters are accepted unchecked because the
// fake stores neither media nor posts.
func parseLookupQuery(q url.Values) (lookupQuery, []paramError) {
	var lq lookupQuery
	var errs []paramError
	lq.fields, errs = parseList(q, "dm_event.fields", dmEventFields, errs)
	lq.expansions, errs = parseList(q, "expansions", dmExpansions, errs)
	_, errs = parseList(q, "user.fields", userFields, errs)
	return lq, errs
}

// parseListQuery parses the query of a v2 DM listing: the lookup
// parameters, max_results (1 to 100, default 100), pagination_token and
// event_types.
func parseListQuery(q url.Values) (listQuery, []paramError) {
	lookup, errs := parseLookupQuery(q)
	lq := listQuery{lookupQuery: lookup, max: defaultMaxResults, token: firstPage}
	lq.types, errs = parseList(q, "event_types", dmEventTypes, errs)
	if v, ok := lastValue(q, "max_results"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxMaxResults {
			errs = append(errs, paramErr("max_results", v,
				"The `max_results` query parameter value [%s] is not between 1 and %d", v, maxMaxResults))
		}
		lq.max = n
	}
	if v, ok := lastValue(q, "pagination_token"); ok {
		tok, err := decodePageToken(v)
		if err != nil {
			errs = append(errs, paramErr("pagination_token", v,
				"The `pagination_token` query parameter value [%s] is not a valid token", v))
		}
		lq.token = tok
	}
	return lq, errs
}

// lastValue returns the last value of parameter name, and false when the
// query does not have it.
func lastValue(q url.Values, name string) (string, bool) {
	vs := q[name]
	if len(vs) == 0 {
		return "", false
	}
	return vs[len(vs)-1], true
}

// parseList parses the comma-separated parameter name, whose items must be
// in allowed, into a set; nil means the parameter is absent. It appends an
// error to errs for an empty list and for each item not allowed.
func parseList(q url.Values, name string, allowed []string, errs []paramError) (map[string]bool, []paramError) {
	v, ok := lastValue(q, name)
	if !ok {
		return nil, errs
	}
	set := make(map[string]bool)
	for item := range strings.SplitSeq(v, ",") {
		if !slices.Contains(allowed, item) {
			errs = append(errs, paramErr(name, item, "The `%s` query parameter value [%s] is not one of [%s]",
				name, item, strings.Join(allowed, ",")))
			continue
		}
		set[item] = true
	}
	return set, errs
}

// pageToken is a position in a listing, newest first: the page starts at the
// first event whose id is at most cursor. afterEmpty marks a token handed
// out with an empty page, whose follow-up returns events.
type pageToken struct {
	cursor     uint64
	afterEmpty bool
}

// firstPage is the position of a listing's first page.
var firstPage = pageToken{cursor: math.MaxUint64}

// pageTokenVersion is the first byte of an encoded page token.
const pageTokenVersion = 1

// pageTokenEncoding is base32hex without padding, the alphabet of X's
// pagination tokens. Ten token bytes give 16 characters, the minimum length
// X's OpenAPI description sets.
var pageTokenEncoding = base32.HexEncoding.WithPadding(base32.NoPadding)

var errBadPageToken = errors.New("xtest: malformed pagination token")

// encode returns t as a 16-character base32hex token.
func (t pageToken) encode() string {
	var b [10]byte
	b[0] = pageTokenVersion
	if t.afterEmpty {
		b[1] = 1
	}
	binary.BigEndian.PutUint64(b[2:], t.cursor)
	return pageTokenEncoding.EncodeToString(b[:])
}

// decodePageToken parses a token made by pageToken.encode.
func decodePageToken(s string) (pageToken, error) {
	if len(s) != 16 {
		return pageToken{}, errBadPageToken
	}
	b, err := pageTokenEncoding.DecodeString(s)
	if err != nil || len(b) != 10 || b[0] != pageTokenVersion || b[1] > 1 {
		return pageToken{}, errBadPageToken
	}
	t := pageToken{cursor: binary.BigEndian.Uint64(b[2:]), afterEmpty: b[1] == 1}
	if t.encode() != s {
		// Reject the other spellings of the same bytes, such as lowercase
		// letters, so that every token has exactly one form.
		return pageToken{}, errBadPageToken
	}
	return t, nil
}

// paginate returns the page of events, which are sorted newest first, that
// starts at tok and contains at most max events, and the token of the next
// page, or nil on the last page. With empty pages on, each page that would
// hold events is preceded by an empty page whose next token leads to it.
func (d *dmState) paginate(events []*dmEvent, tok pageToken, max int) ([]*dmEvent, *pageToken) {
	d.mu.Lock()
	emptyPages := d.emptyPages
	d.mu.Unlock()
	return pageOf(events, func(e *dmEvent) uint64 { return e.num }, tok, max, emptyPages)
}

// pageOf returns the page of items, which are sorted by descending num,
// that starts at tok and contains at most max items, and the token of the next
// page, or nil on the last page. With emptyPages set, a page that would
// contain items is sent empty first, with a token that leads to it.
func pageOf[T any](items []T, num func(T) uint64, tok pageToken, max int, emptyPages bool) ([]T, *pageToken) {
	start, _ := slices.BinarySearchFunc(items, tok.cursor, func(item T, cursor uint64) int {
		// Items are sorted by descending num, so an item above the cursor
		// sorts before it.
		switch n := num(item); {
		case n > cursor:
			return -1
		case n < cursor:
			return 1
		}
		return 0
	})
	rest := items[start:]
	if emptyPages && !tok.afterEmpty && len(rest) > 0 {
		return nil, &pageToken{cursor: tok.cursor, afterEmpty: true}
	}
	n := min(max, len(rest))
	if n == len(rest) {
		return rest, nil
	}
	return rest[:n], &pageToken{cursor: num(rest[n])}
}
