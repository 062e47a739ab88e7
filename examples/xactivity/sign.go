package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/goodgo/xactivity/crc"
	"github.com/goodgo/xactivity/webhook"
)

// maxFileBytes bounds the files the CLI reads.
const maxFileBytes = 64 << 20

func (e env) crc(args []string) error {
	fs := flag.NewFlagSet("crc", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	secretFlag := e.secretFlag(fs)
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return errors.New("crc: give exactly one TOKEN")
	}
	secret, err := e.secret(*secretFlag)
	if err != nil {
		return err
	}
	token := rest[0]
	if !crc.ValidToken(token) {
		return fmt.Errorf("crc: token rejected: the webhook handler signs only tokens of 1 to %d characters from A-Z a-z 0-9 + / = _ . -", crc.MaxTokenLen)
	}
	_, err = fmt.Fprintln(e.stdout, crc.ResponseToken(secret, token))
	return err
}

func (e env) sign(args []string) error {
	fs := flag.NewFlagSet("sign", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	secretFlag := e.secretFlag(fs)
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return errors.New(`sign: give exactly one FILE ("-" for standard input)`)
	}
	secret, err := e.secret(*secretFlag)
	if err != nil {
		return err
	}
	body, err := e.readFile(rest[0])
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(e.stdout, webhook.Sign(secret, body))
	return err
}

// readFile returns the exact bytes of a file, or of standard input for "-".
func (e env) readFile(name string) ([]byte, error) {
	var r io.Reader = e.stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	body, err := io.ReadAll(io.LimitReader(r, maxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(body) > maxFileBytes {
		return nil, fmt.Errorf("read %s: larger than %d bytes", name, maxFileBytes)
	}
	return body, nil
}
