// Command echobot answers every incoming Direct Message once, echoing its
// text: webhook verifies deliveries, accountactivity decodes them and skips
// the bot's own echoed DMs, and dm sends the answer. Settings:
// TWITTER__API_KEY and TWITTER__API_KEY_SECRET (the app), TWITTER__ACCESS_TOKEN
// and TWITTER__ACCESS_TOKEN_SECRET (the bot account), optional
// TWITTER__API_BASE_URL and ECHOBOT_ADDR (default :8080).
package main

import (
	"cmp"
	"context"
	"log/slog"
	"net/http"
	"os"
	"sync"

	"github.com/dghubble/oauth1"

	"github.com/goodgo/xactivity/accountactivity"
	"github.com/goodgo/xactivity/dm"
	"github.com/goodgo/xactivity/webhook"
)

func main() {
	getenv := os.Getenv
	config := oauth1.NewConfig(getenv("TWITTER__API_KEY"), getenv("TWITTER__API_KEY_SECRET"))
	httpClient := config.Client(context.Background(), oauth1.NewToken(getenv("TWITTER__ACCESS_TOKEN"), getenv("TWITTER__ACCESS_TOKEN_SECRET")))
	client, err := dm.NewClient(httpClient, dm.WithBaseURL(cmp.Or(getenv("TWITTER__API_BASE_URL"), dm.DefaultBaseURL)))
	if err != nil {
		slog.Error("invalid settings", "err", err)
		os.Exit(2)
	}
	addr := cmp.Or(getenv("ECHOBOT_ADDR"), ":8080")
	slog.Info("echobot listening", "addr", addr)
	if err := http.ListenAndServe(addr, newBot(getenv("TWITTER__API_KEY_SECRET"), client)); err != nil {
		slog.Error("echobot stopped", "err", err)
		os.Exit(1)
	}
}

// bot answers incoming DMs. It remembers the keys of the DMs it answered
// (the last maxRemembered) so a redelivered DM is not answered twice.
type bot struct {
	client     *dm.Client
	dispatcher accountactivity.Dispatcher
	mu         sync.Mutex
	answered   map[string]bool
	order      []string
}

const maxRemembered = 10000

func newBot(consumerSecret string, client *dm.Client) http.Handler {
	b := &bot{client: client, answered: map[string]bool{}}
	b.dispatcher.OnDirectMessage(b.answer)
	return &webhook.Handler{
		ConsumerSecrets: []string{consumerSecret},
		Receiver: webhook.ReceiverFunc(func(ctx context.Context, d *webhook.Delivery) error {
			decoded, err := accountactivity.Decode(d.Body)
			if err != nil {
				return webhook.ErrInvalidBody
			}
			return b.dispatcher.Dispatch(ctx, decoded)
		}),
	}
}

// answer replies to an incoming DM; the bot's own DMs, echoed by X, are
// skipped. An error makes the handler answer 503, so X delivers it again.
func (b *bot) answer(ctx context.Context, d *accountactivity.Delivery, e *accountactivity.DirectMessage) error {
	key := accountactivity.Key(d, e)
	if !e.Incoming(d.ForUserID) || b.seen(key) {
		return nil
	}
	if _, err := b.client.SendToParticipant(ctx, e.SenderID, dm.Message{Text: "You said: " + e.Text}); err != nil {
		slog.Error("reply failed", "dm", e.ID, "err", err)
		return err
	}
	b.remember(key)
	slog.Info("replied", "dm", e.ID, "to", e.SenderID)
	return nil
}

func (b *bot) seen(key string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.answered[key]
}

func (b *bot) remember(key string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.answered[key] = true
	b.order = append(b.order, key)
	if len(b.order) > maxRemembered {
		delete(b.answered, b.order[0])
		b.order = b.order[1:]
	}
}
