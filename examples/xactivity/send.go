package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/goodgo/xactivity/webhook"
)

// defaultWebhookURL is the delivery URL of a locally running
// mktx-service.
const defaultWebhookURL = "http://127.0.0.1:5000/api/v1/mkt-x/webhooks/twitter"

func (e env) send(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("send", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	target := fs.String("url", defaultWebhookURL, "webhook `URL` to post to")
	secretFlag := e.secretFlag(fs)
	timeout := fs.Duration("timeout", 10*time.Second, "time limit of each request")
	files, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return errors.New("send: give at least one FILE")
	}
	secret, err := e.secret(*secretFlag)
	if err != nil {
		return err
	}
	client := &http.Client{Timeout: *timeout}
	failed := 0
	for _, name := range files {
		status, err := e.sendFile(ctx, client, *target, secret, name)
		if err != nil {
			failed++
			fmt.Fprintf(e.stdout, "%s: %v\n", name, err)
			continue
		}
		fmt.Fprintf(e.stdout, "%s: %s\n", name, status)
	}
	if failed > 0 {
		return fmt.Errorf("send: %d of %d deliveries were not accepted", failed, len(files))
	}
	return nil
}

// sendFile posts one file's exact bytes, signed, and returns the response's
// status, or an error when the status is not 200.
func (e env) sendFile(ctx context.Context, client *http.Client, target, secret, name string) (string, error) {
	body, err := e.readFile(name)
	if err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("invalid --url: %w", err)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set(webhook.SignatureHeader, webhook.Sign(secret, body))
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("rejected with %s: %s", resp.Status, strings.TrimSpace(string(answer)))
	}
	return resp.Status, nil
}
