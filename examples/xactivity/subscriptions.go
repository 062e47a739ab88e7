package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/goodgo/xactivity/accountactivity"
)

func (e env) subscriptions(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New("subscriptions: give a subcommand: add, list, count or remove USER_ID")
	}
	switch args[0] {
	case "add":
		return e.subscriptionsAdd(ctx, args[1:])
	case "list":
		return e.subscriptionsList(ctx, args[1:])
	case "count":
		return e.subscriptionsCount(ctx, args[1:])
	case "remove":
		return e.subscriptionsRemove(ctx, args[1:])
	}
	return fmt.Errorf("subscriptions: unknown subcommand %q: use add, list, count or remove", args[0])
}

// subscriptionsAdd subscribes the user of the access token. Without
// --webhook it also needs the bearer token, to find the app's webhook.
func (e env) subscriptionsAdd(ctx context.Context, args []string) error {
	const name = "subscriptions add"
	fs, out := e.newCommand(name)
	webhookID := webhookFlag(fs)
	token := fs.String("token", "", "access `token` of the user to subscribe (default $TWITTER__ACCESS_TOKEN)")
	tokenSecret := fs.String("token-secret", "", "access token `secret` of that user (default $TWITTER__ACCESS_TOKEN_SECRET)")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return out.fail(err)
	}
	if len(rest) != 0 {
		return out.fail(fmt.Errorf("%s: unexpected arguments %q: the subscribed user is the access token's user", name, rest))
	}
	need := credentials{app: *webhookID == "", user: true, token: *token, tokenSecret: *tokenSecret}
	client, err := e.managementClient(ctx, need)
	if err != nil {
		return out.fail(fmt.Errorf("%s: %w", name, err))
	}
	id, err := resolveWebhook(ctx, client, *webhookID)
	if err != nil {
		return out.fail(explain(name, err))
	}
	already := false
	if err := client.Subscribe(ctx, id); errors.Is(err, accountactivity.ErrDuplicateSubscription) {
		already = true
	} else if err != nil {
		return out.fail(explain(name, err))
	}
	return out.print(struct {
		WebhookID         string `json:"webhookId"`
		Subscribed        bool   `json:"subscribed"`
		AlreadySubscribed bool   `json:"alreadySubscribed"`
	}{id, true, already}, func(w io.Writer) {
		if already {
			fmt.Fprintf(w, "The access token's user was already subscribed to webhook %s.\n", id)
			return
		}
		fmt.Fprintf(w, "Subscribed the access token's user to webhook %s.\n", id)
	})
}

func (e env) subscriptionsList(ctx context.Context, args []string) error {
	const name = "subscriptions list"
	fs, out := e.newCommand(name)
	webhookID := webhookFlag(fs)
	rest, err := parseFlags(fs, args)
	if err != nil {
		return out.fail(err)
	}
	if len(rest) != 0 {
		return out.fail(fmt.Errorf("%s: unexpected arguments %q", name, rest))
	}
	client, err := e.managementClient(ctx, credentials{app: true})
	if err != nil {
		return out.fail(fmt.Errorf("%s: %w", name, err))
	}
	id, err := resolveWebhook(ctx, client, *webhookID)
	if err != nil {
		return out.fail(explain(name, err))
	}
	list, err := client.Subscriptions(ctx, id)
	if err != nil {
		return out.fail(explain(name, err))
	}
	view := struct {
		ApplicationID string   `json:"applicationId,omitempty"`
		WebhookID     string   `json:"webhookId"`
		WebhookURL    string   `json:"webhookUrl,omitempty"`
		UserIDs       []string `json:"userIds"`
	}{list.ApplicationID, orDefault(list.WebhookID, id), list.WebhookURL, list.UserIDs}
	if view.UserIDs == nil {
		view.UserIDs = []string{}
	}
	return out.print(view, func(w io.Writer) {
		fmt.Fprintf(w, "Webhook %s %s: %s\n", view.WebhookID, view.WebhookURL, countNoun(len(view.UserIDs), "subscribed user"))
		for _, u := range view.UserIDs {
			fmt.Fprintln(w, u)
		}
	})
}

func (e env) subscriptionsCount(ctx context.Context, args []string) error {
	const name = "subscriptions count"
	fs, out := e.newCommand(name)
	rest, err := parseFlags(fs, args)
	if err != nil {
		return out.fail(err)
	}
	if len(rest) != 0 {
		return out.fail(fmt.Errorf("%s: unexpected arguments %q", name, rest))
	}
	client, err := e.managementClient(ctx, credentials{app: true})
	if err != nil {
		return out.fail(fmt.Errorf("%s: %w", name, err))
	}
	c, err := client.SubscriptionCount(ctx)
	if err != nil {
		return out.fail(explain(name, err))
	}
	return out.print(struct {
		AccountName    string `json:"accountName,omitempty"`
		Provisioned    int64  `json:"provisioned"`
		All            int64  `json:"all"`
		DirectMessages int64  `json:"directMessages"`
	}{c.AccountName, c.Provisioned, c.All, c.DirectMessages}, func(w io.Writer) {
		if c.AccountName != "" {
			fmt.Fprintf(w, "Account:                %s\n", c.AccountName)
		}
		fmt.Fprintf(w, "Provisioned:            %d\n", c.Provisioned)
		fmt.Fprintf(w, "All activity:           %d\n", c.All)
		fmt.Fprintf(w, "Direct Messages:        %d\n", c.DirectMessages)
	})
}

func (e env) subscriptionsRemove(ctx context.Context, args []string) error {
	const name = "subscriptions remove"
	fs, out := e.newCommand(name)
	webhookID := webhookFlag(fs)
	rest, err := parseFlags(fs, args)
	if err != nil {
		return out.fail(err)
	}
	if len(rest) != 1 {
		return out.fail(fmt.Errorf("%s: give exactly one USER_ID", name))
	}
	userID := rest[0]
	client, err := e.managementClient(ctx, credentials{app: true})
	if err != nil {
		return out.fail(fmt.Errorf("%s: %w", name, err))
	}
	id, err := resolveWebhook(ctx, client, *webhookID)
	if err != nil {
		return out.fail(explain(name, err))
	}
	if err := client.Unsubscribe(ctx, id, userID); err != nil {
		return out.fail(explain(name, err))
	}
	return out.print(struct {
		WebhookID  string `json:"webhookId"`
		UserID     string `json:"userId"`
		Subscribed bool   `json:"subscribed"`
	}{id, userID, false}, func(w io.Writer) {
		fmt.Fprintf(w, "Removed the subscription of user %s from webhook %s.\n", userID, id)
	})
}
