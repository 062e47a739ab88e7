package accountactivity

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/goodgo/xactivity"
)

// Generation is the generation of X's Account Activity API that a Client
// manages webhooks and subscriptions with. The zero value is V2.
type Generation int

// The generations a Client speaks. Their String forms are the values that
// ParseGeneration accepts.
const (
	// V2 is the v2 Account Activity API (/2/webhooks,
	// /2/account_activity/...) and the X Activity API (/2/activity/...).
	V2 Generation = iota
	// Enterprise is the v1.1 enterprise Account Activity API
	// (/1.1/account_activity/webhooks...).
	Enterprise
	// Premium is the v1.1 premium Account Activity API
	// (/1.1/account_activity/all/:env_name/...). It needs Config.EnvName.
	Premium
)

// generationNames lists the String form of each Generation, in order.
var generationNames = [...]string{V2: "2", Enterprise: "1.1-enterprise", Premium: "1.1-premium"}

// String returns "2", "1.1-enterprise" or "1.1-premium", or
// "Generation(N)" for a value that is none of the constants.
func (g Generation) String() string {
	if g.valid() {
		return generationNames[g]
	}
	return fmt.Sprintf("Generation(%d)", int(g))
}

func (g Generation) valid() bool { return g >= 0 && int(g) < len(generationNames) }

// ParseGeneration returns the Generation whose String form is s: "2",
// "1.1-enterprise" or "1.1-premium", compared exactly.
func ParseGeneration(s string) (Generation, error) {
	for g, name := range generationNames {
		if s == name {
			return Generation(g), nil
		}
	}
	return V2, fmt.Errorf("accountactivity: unknown API generation %q; use %q, %q or %q",
		s, generationNames[V2], generationNames[Enterprise], generationNames[Premium])
}

// MaxEnvNameLength is the longest environment name NewClient accepts, in
// bytes.
const MaxEnvNameLength = 64

// checkGeneration checks the Generation and EnvName of cfg.
func checkGeneration(cfg Config) error {
	switch {
	case !cfg.Generation.valid():
		return fmt.Errorf("accountactivity: unknown API generation %d; use V2, Enterprise or Premium", int(cfg.Generation))
	case cfg.Generation == Premium && cfg.EnvName == "":
		return errors.New("accountactivity: generation 1.1-premium needs Config.EnvName, the name of the dev environment")
	case cfg.Generation != Premium && cfg.EnvName != "":
		return fmt.Errorf("accountactivity: Config.EnvName is set, but generation %s has no environments; use Premium or leave it empty", cfg.Generation)
	case cfg.Generation == Premium:
		return CheckEnvName(cfg.EnvName)
	}
	return nil
}

// CheckEnvName reports whether name is a v1.1 Premium environment name
// that NewClient accepts: 1 to MaxEnvNameLength bytes of ASCII letters,
// digits, '_' and '-'. X compares environment names case-sensitively.
func CheckEnvName(name string) error {
	if name == "" {
		return errors.New("accountactivity: environment name is empty")
	}
	if len(name) > MaxEnvNameLength {
		return fmt.Errorf("accountactivity: environment name has %d bytes; the maximum is %d", len(name), MaxEnvNameLength)
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !isEnvNameByte(c) {
			return fmt.Errorf("accountactivity: environment name %q contains %q; use only letters, digits, '_' and '-'", name, c)
		}
	}
	return nil
}

func isEnvNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// ErrUnsupported matches, with errors.Is, the error of a call that the
// Client's generation has no endpoint for, such as an X Activity API call
// on Enterprise. The Client returns such an error without sending a
// request. The error also matches errors.ErrUnsupported and
// xactivity.ErrPermanent.
var ErrUnsupported = fmt.Errorf("accountactivity: call not supported by the API generation: %w", errors.ErrUnsupported)

// unsupportedError is the concrete type behind ErrUnsupported.
type unsupportedError struct {
	op  string
	gen Generation
}

func (e *unsupportedError) Error() string {
	return fmt.Sprintf("accountactivity: %s: not supported by API generation %s", e.op, e.gen)
}

// Unwrap returns ErrUnsupported, which wraps errors.ErrUnsupported.
func (e *unsupportedError) Unwrap() error { return ErrUnsupported }

// Is reports whether target is xactivity.ErrPermanent, because no retry
// makes the call supported.
func (e *unsupportedError) Is(target error) bool { return target == xactivity.ErrPermanent }

// only returns an ErrUnsupported error for op unless the Client's
// generation is one of gens.
func (c *Client) only(op string, gens ...Generation) error {
	for _, g := range gens {
		if c.gen == g {
			return nil
		}
	}
	return &unsupportedError{op: op, gen: c.gen}
}

// v11Route is one management call of the v1.1 generations: its method,
// its credentials and its path templates under /1.1/account_activity/,
// without the ".json" suffix. In the templates {env}, {id} and {user_id}
// stand for the environment name, the webhook id and the user id. An empty
// template means the generation has no such call.
type v11Route struct {
	method              string
	auth                auth
	enterprise, premium string
}

// v11Routes maps the operation names used in errors to their routes.
// Premium names the webhook of a subscription call by its environment, so
// its templates for those calls have no {id}.
var v11Routes = map[string]v11Route{
	opCreateWebhook:      {http.MethodPost, userAuth, "webhooks", "all/{env}/webhooks"},
	opListWebhooks:       {http.MethodGet, appAuth, "webhooks", "all/{env}/webhooks"},
	opValidateWebhook:    {http.MethodPut, userAuth, "webhooks/{id}", "all/{env}/webhooks/{id}"},
	opDeleteWebhook:      {http.MethodDelete, userAuth, "webhooks/{id}", "all/{env}/webhooks/{id}"},
	opSubscribe:          {http.MethodPost, userAuth, "webhooks/{id}/subscriptions/all", "all/{env}/subscriptions"},
	opSubscribed:         {http.MethodGet, userAuth, "webhooks/{id}/subscriptions/all", "all/{env}/subscriptions"},
	opListSubscriptions:  {http.MethodGet, appAuth, "webhooks/{id}/subscriptions/all/list", "all/{env}/subscriptions/list"},
	opUnsubscribe:        {http.MethodDelete, appAuth, "webhooks/{id}/subscriptions/{user_id}/all", "all/{env}/subscriptions/{user_id}"},
	opCountSubscriptions: {http.MethodGet, appAuth, "subscriptions/count", "all/subscriptions/count"},
	opReplay:             {http.MethodPost, appAuth, "replay/webhooks/{id}/subscriptions/all", ""},
}

// Operation names, as they appear in errors.
const (
	opCreateWebhook      = "create webhook"
	opListWebhooks       = "list webhooks"
	opValidateWebhook    = "validate webhook"
	opDeleteWebhook      = "delete webhook"
	opSubscribe          = "subscribe"
	opSubscribed         = "check subscription"
	opListSubscriptions  = "list subscriptions"
	opUnsubscribe        = "unsubscribe"
	opCountSubscriptions = "count subscriptions"
	opReplay             = "replay"
)

// v11Route returns the route of op on the Client's v1.1 generation, with
// the path built from the environment name, the webhook id and the user
// id. Callers pass only validated ids, and NewClient validated the
// environment name, so no part needs escaping. The error matches
// ErrUnsupported when the generation has no such call.
func (c *Client) v11Route(op, webhookID, userID string) (route v11Route, path string, err error) {
	route = v11Routes[op]
	template := route.enterprise
	if c.gen == Premium {
		template = route.premium
	}
	if template == "" {
		return v11Route{}, "", &unsupportedError{op: op, gen: c.gen}
	}
	r := strings.NewReplacer("{env}", c.env, "{id}", webhookID, "{user_id}", userID)
	return route, "/1.1/account_activity/" + r.Replace(template) + ".json", nil
}
