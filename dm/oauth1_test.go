package dm

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"testing/synctest"
	"time"

	"github.com/dghubble/oauth1"

	"github.com/goodgo/xactivity/internal/fixtures"
	"github.com/goodgo/xactivity/internal/wire"
)

// fixedNonce makes dghubble/oauth1 sign with a known nonce.
type fixedNonce string

func (n fixedNonce) Nonce() string { return string(n) }

// advanceClockTo moves the fake clock of a synctest bubble, which starts
// at 2000-01-01T00:00:00Z, to the Unix time unix. dghubble/oauth1 reads
// its timestamp from time.Now and has no exported clock, so this is the
// way to sign with a known timestamp. A sleep in a bubble returns at
// once, without real waiting, once every goroutine of the bubble is
// blocked.
func advanceClockTo(t *testing.T, unix string) {
	t.Helper()
	sec, err := strconv.ParseInt(unix, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Until(time.Unix(sec, 0)))
	if got := time.Now().Unix(); got != sec {
		t.Fatalf("bubble clock at %d, want %d", got, sec)
	}
}

// capture is an http.RoundTripper that keeps the last request and returns
// a canned response from memory.
type capture struct {
	req    *http.Request
	status int
	body   string
}

func (c *capture) RoundTrip(req *http.Request) (*http.Response, error) {
	c.req = req
	return jsonResponse(req, c.status, c.body), nil
}

// signingClient returns an http.Client that signs like an application's
// dghubble/oauth1 client, but with nonce, and sends to base.
func signingClient(consumerKey, consumerSecret, token, tokenSecret, nonce string, base http.RoundTripper) *http.Client {
	ctx := context.WithValue(context.Background(), oauth1.HTTPClient, &http.Client{Transport: base})
	config := oauth1.NewConfig(consumerKey, consumerSecret)
	config.Noncer = fixedNonce(nonce)
	return config.Client(ctx, oauth1.NewToken(token, tokenSecret))
}

// TestOAuth1PublishedSignature checks that a request built by this
// module's request builder and signed by dghubble/oauth1 carries exactly
// the signature of the published OAuth 1.0a example, for both hosts.
func TestOAuth1PublishedSignature(t *testing.T) {
	for _, v := range fixtures.LoadVectors(t).OAuth1 {
		t.Run(v.URL, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				advanceClockTo(t, v.Timestamp)
				rt := &capture{status: http.StatusOK, body: `{}`}
				u, err := url.Parse(v.URL)
				if err != nil {
					t.Fatal(err)
				}
				// As in the published example, include_entities is in the
				// query and status in the form body; the signature covers
				// both either way.
				query, form := url.Values{}, url.Values{}
				for k, val := range v.Params {
					if k == "include_entities" {
						query.Set(k, val)
					} else {
						form.Set(k, val)
					}
				}
				c := wire.Client{
					HTTP:    signingClient(v.ConsumerKey, v.ConsumerSecret, v.Token, v.TokenSecret, v.Nonce, rt),
					BaseURL: &url.URL{Scheme: u.Scheme, Host: u.Host},
				}
				_, err = c.Do(context.Background(), wire.Call{Method: v.Method, Path: u.Path, Query: query, Form: form})
				if err != nil {
					t.Fatalf("Do: %v", err)
				}
				params, ok := parseOAuthHeader(rt.req.Header.Get("Authorization"))
				if !ok {
					t.Fatalf("Authorization = %q, want OAuth", rt.req.Header.Get("Authorization"))
				}
				if params["oauth_signature"] != v.Signature {
					t.Errorf("oauth_signature = %q, want the published %q", params["oauth_signature"], v.Signature)
				}
				if params["oauth_timestamp"] != v.Timestamp || params["oauth_nonce"] != v.Nonce {
					t.Errorf("timestamp, nonce = %q, %q; want %q, %q",
						params["oauth_timestamp"], params["oauth_nonce"], v.Timestamp, v.Nonce)
				}
			})
		})
	}
}

// Protocol parameters of the signing tests below.
const (
	signNonce     = "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg"
	signTimestamp = "1318622958"
	// oauthBase is the parameter string of the protocol parameters alone,
	// already percent-encoded a second time for the signature base string.
	oauthBase = "oauth_consumer_key%3D" + testConsumerKey +
		"%26oauth_nonce%3D" + signNonce +
		"%26oauth_signature_method%3DHMAC-SHA1" +
		"%26oauth_timestamp%3D" + signTimestamp +
		"%26oauth_token%3D" + testToken +
		"%26oauth_version%3D1.0"
)

// hmacSHA1 signs base as OAuth 1.0a HMAC-SHA1 does with the test secrets.
func hmacSHA1(base string) string {
	mac := hmac.New(sha1.New, []byte(testConsumerSecret+"&"+testTokenSecret))
	mac.Write([]byte(base))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// TestSignatureCoversFormNotJSON checks which body parameters the
// signature covers: the form parameters of indicate_typing are part of
// the signature base string, the JSON body of events/new is not. The
// expected base strings are written out in full.
func TestSignatureCoversFormNotJSON(t *testing.T) {
	tests := []struct {
		name string
		call func(context.Context, *Client) error
		base string
	}{
		{
			name: "form body of indicate_typing",
			call: func(ctx context.Context, c *Client) error { return c.IndicateTyping(ctx, "944480690") },
			base: "POST&https%3A%2F%2Fapi.x.com%2F1.1%2Fdirect_messages%2Findicate_typing.json&" +
				oauthBase + "%26recipient_id%3D944480690",
		},
		{
			name: "form body of mark_read",
			call: func(ctx context.Context, c *Client) error { return c.MarkRead(ctx, "944480690", "1580705921830768650") },
			base: "POST&https%3A%2F%2Fapi.x.com%2F1.1%2Fdirect_messages%2Fmark_read.json&" +
				"last_read_event_id%3D1580705921830768650%26" + oauthBase + "%26recipient_id%3D944480690",
		},
		{
			name: "JSON body of events/new",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.SendV11(ctx, "944480690", V11Message{Text: "a=b&c"})
				return err
			},
			base: "POST&https%3A%2F%2Fapi.x.com%2F1.1%2Fdirect_messages%2Fevents%2Fnew.json&" + oauthBase,
		},
		{
			name: "query of events/show",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.ShowV11(ctx, "1580705921830768650")
				return err
			},
			base: "GET&https%3A%2F%2Fapi.x.com%2F1.1%2Fdirect_messages%2Fevents%2Fshow.json&" +
				"id%3D1580705921830768650%26" + oauthBase,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				advanceClockTo(t, signTimestamp)
				rt := &capture{status: http.StatusOK, body: v11EventResponse}
				c, err := NewClient(signingClient(testConsumerKey, testConsumerSecret, testToken, testTokenSecret, signNonce, rt))
				if err != nil {
					t.Fatal(err)
				}
				if err := tc.call(context.Background(), c); err != nil {
					t.Fatalf("call: %v", err)
				}
				params, _ := parseOAuthHeader(rt.req.Header.Get("Authorization"))
				if want := hmacSHA1(tc.base); params["oauth_signature"] != want {
					t.Errorf("oauth_signature = %q, want %q, the signature of\n%s", params["oauth_signature"], want, tc.base)
				}
			})
		})
	}
}
