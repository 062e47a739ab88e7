// Package wire contains the HTTP details shared by the SDK's API clients.
// It builds requests with a context and reads response bodies within a
// size limit. It turns X's two error shapes, the v1.1 errors array and v2
// problem JSON, into *xactivity.APIError. It decodes values that X sends
// either as strings or as numbers, and it validates ids.
package wire
