package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/goodgo/xactivity/accountactivity"
)

// webhookView is a webhook as the webhooks commands print it with --json.
type webhookView struct {
	ID    string `json:"id"`
	URL   string `json:"url"`
	Valid bool   `json:"valid"`
	// CreatedAt is in RFC 3339, UTC, and absent when X sent no time.
	CreatedAt string `json:"createdAt,omitempty"`
}

func newWebhookView(w accountactivity.Webhook) webhookView {
	v := webhookView{ID: w.ID, URL: w.URL, Valid: w.Valid}
	if !w.CreatedAt.IsZero() {
		v.CreatedAt = w.CreatedAt.UTC().Format(time.RFC3339)
	}
	return v
}

func (e env) webhooks(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New("webhooks: give a subcommand: create URL, list, validate ID or delete ID")
	}
	switch args[0] {
	case "create":
		return e.webhooksCreate(ctx, args[1:])
	case "list":
		return e.webhooksList(ctx, args[1:])
	case "validate":
		return e.webhooksValidate(ctx, args[1:])
	case "delete":
		return e.webhooksDelete(ctx, args[1:])
	}
	return fmt.Errorf("webhooks: unknown subcommand %q: use create, list, validate or delete", args[0])
}

func (e env) webhooksCreate(ctx context.Context, args []string) error {
	const name = "webhooks create"
	fs, out := e.newCommand(name)
	insecure := fs.Bool("insecure-url", false, "allow http URLs and ports, which X rejects; only for a fake X such as fake-x")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return out.fail(err)
	}
	if len(rest) != 1 {
		return out.fail(errors.New("webhooks create: give exactly one URL"))
	}
	client, err := e.managementClient(ctx, credentials{app: true, webhookChange: true, insecureURLs: *insecure})
	if err != nil {
		return out.fail(fmt.Errorf("%s: %w", name, err))
	}
	hook, err := client.CreateWebhook(ctx, rest[0])
	if err != nil {
		return out.fail(explain(name, err))
	}
	return out.print(newWebhookView(hook), func(w io.Writer) {
		fmt.Fprintf(w, "Created webhook %s for %s (valid: %t).\n", hook.ID, hook.URL, hook.Valid)
		fmt.Fprintf(w, "Subscribe the access token's user with: xactivity subscriptions add --webhook %s\n", hook.ID)
	})
}

func (e env) webhooksList(ctx context.Context, args []string) error {
	const name = "webhooks list"
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
	hooks, err := client.Webhooks(ctx)
	if err != nil {
		return out.fail(explain(name, err))
	}
	views := make([]webhookView, len(hooks))
	for i, h := range hooks {
		views[i] = newWebhookView(h)
	}
	return out.print(struct {
		Webhooks []webhookView `json:"webhooks"`
	}{views}, func(w io.Writer) {
		if len(views) == 0 {
			fmt.Fprintln(w, "The app has no webhook.")
			return
		}
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tVALID\tCREATED\tURL")
		for _, v := range views {
			fmt.Fprintf(tw, "%s\t%t\t%s\t%s\n", v.ID, v.Valid, orDefault(v.CreatedAt, "-"), v.URL)
		}
		tw.Flush()
	})
}

func (e env) webhooksValidate(ctx context.Context, args []string) error {
	const name = "webhooks validate"
	fs, out := e.newCommand(name)
	rest, err := parseFlags(fs, args)
	if err != nil {
		return out.fail(err)
	}
	if len(rest) != 1 {
		return out.fail(fmt.Errorf("%s: give exactly one webhook ID", name))
	}
	client, err := e.managementClient(ctx, credentials{app: true, webhookChange: true})
	if err != nil {
		return out.fail(fmt.Errorf("%s: %w", name, err))
	}
	id := rest[0]
	v, err := client.ValidateWebhook(ctx, id)
	if err != nil {
		return out.fail(explain(name, err))
	}
	view := struct {
		ID        string `json:"id"`
		Valid     bool   `json:"valid"`
		Attempted bool   `json:"attempted"`
	}{id, v.Valid, v.Attempted}
	err = out.print(view, func(w io.Writer) {
		switch {
		case v.Valid:
			fmt.Fprintf(w, "Webhook %s passed X's CRC check and is valid.\n", id)
		case v.Attempted:
			fmt.Fprintf(w, "X started a CRC check of webhook %s; `xactivity webhooks list` shows the result.\n", id)
		default:
			fmt.Fprintf(w, "Webhook %s failed X's CRC check and stays invalid.\n", id)
		}
	})
	if err == nil && !v.Valid && !v.Attempted {
		return out.resultError(fmt.Errorf("%s: webhook %s failed X's CRC check: run `xactivity check-url URL` on its URL to see why", name, id))
	}
	return err
}

func (e env) webhooksDelete(ctx context.Context, args []string) error {
	const name = "webhooks delete"
	fs, out := e.newCommand(name)
	rest, err := parseFlags(fs, args)
	if err != nil {
		return out.fail(err)
	}
	if len(rest) != 1 {
		return out.fail(fmt.Errorf("%s: give exactly one webhook ID", name))
	}
	client, err := e.managementClient(ctx, credentials{app: true, webhookChange: true})
	if err != nil {
		return out.fail(fmt.Errorf("%s: %w", name, err))
	}
	id := rest[0]
	if err := client.DeleteWebhook(ctx, id); err != nil {
		return out.fail(explain(name, err))
	}
	return out.print(struct {
		ID      string `json:"id"`
		Deleted bool   `json:"deleted"`
	}{id, true}, func(w io.Writer) {
		fmt.Fprintf(w, "Deleted webhook %s and its subscriptions.\n", id)
	})
}
